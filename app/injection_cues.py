"""Cues of who a passage talks to and what it asks, as extra features for the wording model.

Attacks and their benign look-alikes share words ("approve", "assistant", "ignore", "SOP"); they
differ in who acts on what. An attack talks *to* the model or makes it the agent ("note to the
AI:", "the model summarising this should ..."), or directs what the document being written must
say ("write that ...", "in the SOP"). A benign note has people act and the AI tool as an object
("paste the prompt into the assistant"). Each cue is a loose, multilingual regular expression
over lower-case, accent-free text; none flags anything alone: the trained model weighs them.
"""

from __future__ import annotations

import re

_AI = (
    r"(?:ai|a i|llms?|language models?|models?|assistants?|chat ?bots?|bots?|gpt|chatgpt|copilot|claude|gemini|"
    r"(?:drafting|writing|summari[sz]ing|summary|automated|ai) (?:tools?|assistants?|bots?|systems?|writers?)|"
    r"summari[sz]ers?|generators?|machine readers?|ki|ki tools?|sprachmodell\w*|assistent\w*|modele|modelo|"
    r"modello|taalmodel\w*|ia|intelligence artificielle|inteligencia artificial|intelligenza artificiale|"
    r"kunstliche intelligenz)"
)
_TO = r"(?:to|for|dear|hey|attention|note to|note for|message for|ps to|an|fur|pour|a|para|per|aan|voor|al|alla)"
_DET = r"(?:the|any|all|whichever|whatever|every|each|das|die|den|der|jedes?|le|la|les|l|tout|el|los|cualquier|il|lo|qualsiasi|o|os|qualquer|de|het|elk)"
_WRITE = (
    r"(?:write|writes|state|say|mention|note|record|describe|declare|claim|tell (?:readers|the reader|users)|"
    r"schreib\w*|erwahn\w*|angeben|ecri\w*|indique\w*|mentionne\w*|escrib\w*|indica\w*|menciona\w*|scriv\w*|"
    r"menziona\w*|escrev\w*|mencion\w*|schrijf\w*|vermeld\w*)"
)
_DOC = (
    r"(?:sop|draft|procedure|summary|write ?up|output|answer|response|document you|entwurf|verfahrensanweisung|"
    r"anleitung|brouillon|procedimiento|borrador|procedura|bozza|procedimento|rascunho|procedure)"
)

CUES: dict[str, re.Pattern[str]] = {name: re.compile(text) for name, text in {
    # "Note to the AI:", "AI readers:", "to whichever AI writes this up", "if you are an AI".
    "addressed": (rf"\b{_TO} (?:{_DET} )?{_AI}\b|^{_AI}\s*[:,]|\b{_AI} readers?\b|\bif you are an? {_AI}\b|"
                  rf"\b(?:whoever|whichever|whatever) (?:{_AI} )?(?:reads|writes|drafts|generates|summari[sz]es|processes)\b"),
    # "the model summarising this page should ...", "AI tools must state ...".
    "agent": (rf"\b{_AI} (?:\w+ ){{0,4}}?(?:should|must|shall|is to|needs to|has to|will|is required to|is expected to|"
              rf"muss\w*|soll\w*|doit|doivent|devrait|debe\w*|deberia|deve|devono|dovrebbe|moet\w*|zou)\b"),
    "reads_this": (rf"\b{_AI} (?:that |which |who )?(?:reads?|reading|process\w*|summari[sz]\w*|drafts?|drafting|"
                   rf"writes?|writing|generat\w*|liest|lit|lee|legge|le|leest)\b"),
    # "write that ...", "state in the SOP", "in the draft".
    "directive": (rf"\b{_WRITE} (?:that|dass|que|che|dat)\b|\b(?:in|into|to|im|in den|dans|en|nel|na|no) "
                  rf"(?:the |this |your |le |la |el |il |o |a |de |het |den |die )?(?:generated |final )?{_DOC}\b"),
    "when_you_write": (r"\bwhen (?:you|drafting|writing|summari[sz]ing|generating)\b|\b(?:as|while) you (?:write|draft)\b|"
                       r"\bbefore (?:writing|drafting)\b"),
    "override": (r"\b(?:ignore|ignoring|disregard|forget|set aside|override|supersede|ignoriere\w*|vergiss|ignor\w*|"
                 r"oublie\w*|olvida\w*|dimentica\w*|esqueca\w*|negeer\w*|vergeet)\b(?:\W+\w+){0,6}?\W+(?:above|previous|prior|"
                 r"earlier|instructions?|rules|prompt|template|guidelines|what the user|configuration|vorherig\w*|"
                 r"anweisung\w*|precedent\w*|anterior\w*|instruc\w*|istruzion\w*|vorige|instructies)\b"),
    "role": (r"\b(?:pretend|act as|role ?play|play the (?:part|role)|take on the role|imagine you are|answer as if|"
             r"speak as|you are now|tu so als|fais comme si|haz de cuenta|fai finta|finja)\b"),
    "reveal": (r"\b(?:system prompt|your (?:prompt|instructions|configuration|context)|hidden instructions|"
               r"all (?:the )?(?:sources|notes|documents|passages|chunks|context))\b"),
    "obfuscated": r"\b(?:decode|base64|rot13|reversed?|backwards)\b",
}.items()}


def cue_words(folded: str) -> list[str]:
    """Feature names of the cues found in ``folded`` (lower-case, accent-free, punctuation kept)."""
    return [f"__cue_{name}" for name, pattern in CUES.items() if pattern.search(folded)]
