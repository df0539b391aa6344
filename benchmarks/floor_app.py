"""Gradio's own floor for /predict: the same input type, queue and batching, a trivial function.

Started by bench_serving.py beside app.py, so the app's round trip can be read against it.
"""

import gradio as gr

ANSWER = {"7": 0.98, "1": 0.01, "2": 0.01}


def predict(paths: list) -> tuple[list]:
    return ([ANSWER for _ in paths],)


with gr.Blocks() as demo:
    label = gr.Label(num_top_classes=3)
    api_file = gr.File(visible=False)
    api_file.change(predict, api_file, label, api_name="predict", batch=True, max_batch_size=32)
demo.queue(default_concurrency_limit=2, max_size=512)

if __name__ == "__main__":
    demo.launch()
