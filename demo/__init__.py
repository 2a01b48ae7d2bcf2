"""svemath.demo: the Gradio demo over the model API."""
