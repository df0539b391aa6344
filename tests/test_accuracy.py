"""The shipped weights on real handwriting: MNIST test digits, as is and redrawn at canvas scale."""

import numpy as np
import torch

import cnn
from cnn.redraw import random_stroke, redraw


def test_shipped_weights_on_the_mnist_test_set(mnist_test):
    images, labels = mnist_test
    model = cnn.load_model()
    predictions = model.predict_proba(torch.from_numpy(images)).argmax(1).numpy()
    accuracy = (predictions == labels).mean()
    assert accuracy >= 0.995, accuracy


def test_shipped_weights_on_digits_drawn_at_canvas_scale(mnist_test):
    images, labels = mnist_test
    rng = np.random.default_rng(2026)
    sample = rng.choice(len(images), size=1500, replace=False)
    model = cnn.load_model()
    inputs = np.stack([cnn.to_mnist(redraw(images[i], random_stroke(rng))) for i in sample])
    predictions = model.predict_proba(torch.from_numpy(inputs)).argmax(1).numpy()
    accuracy = (predictions == labels[sample]).mean()
    assert accuracy >= 0.99, accuracy
