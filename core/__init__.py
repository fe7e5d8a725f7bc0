"""Red Property campaign dashboard: all logic, no Streamlit."""
