"""The reviewer's workspace: a thin Streamlit layer over :class:`app.services.Services`."""
