"""The Streamlit portal: pages and the UI-side resource cache."""
