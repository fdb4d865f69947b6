"""The 2-2-2 sigmoid network of seed document 000, trained by hand-written backpropagation.

Two inputs, two hidden sigmoid units sharing bias b1, two output sigmoid units sharing b2,
squared-error loss ``E = 1/2 sum (target - out)^2``, plain gradient descent. Weights
w0..w3 feed the hidden layer (h1 = s(w0 x1 + w1 x2 + b1), h2 = s(w2 x1 + w3 x2 + b1)),
w4..w7 the outputs (o1 = s(w4 h1 + w5 h2 + b2), o2 = s(w6 h1 + w7 h2 + b2)). Biases are not
trained, as in the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.validate import check_one_count, check_positive

SEED_INPUTS = (0.05, 0.05)
SEED_TARGETS = (0.25, 0.15)
SEED_WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
SEED_BIASES = (0.5, 0.6)
SEED_LEARNING_RATE = 0.5


def sigmoid(x):
    """Logistic function ``1 / (1 + e^-x)``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


@dataclass
class Network:
    """Weights of the 2-2-2 network: ``hidden`` is [[w0, w1], [w2, w3]], ``output`` [[w4, w5], [w6, w7]]."""

    hidden: np.ndarray = field(default_factory=lambda: np.array(SEED_WEIGHTS[:4]).reshape(2, 2))
    output: np.ndarray = field(default_factory=lambda: np.array(SEED_WEIGHTS[4:]).reshape(2, 2))
    b1: float = SEED_BIASES[0]
    b2: float = SEED_BIASES[1]

    @property
    def weights(self) -> np.ndarray:
        """w0..w7 as one flat array."""
        return np.concatenate([self.hidden.ravel(), self.output.ravel()])


@dataclass
class Step:
    """Everything one training step computes: activations, loss, gradients, new weights."""

    hidden_out: np.ndarray
    output_out: np.ndarray
    loss: float
    grad_hidden: np.ndarray
    grad_output: np.ndarray
    updated: Network


def forward(net: Network, x=SEED_INPUTS):
    """Hidden and output activations for inputs ``x``."""
    x = np.asarray(x, dtype=float)
    hidden_out = sigmoid(net.hidden @ x + net.b1)
    return hidden_out, sigmoid(net.output @ hidden_out + net.b2)


def loss(output_out, targets=SEED_TARGETS) -> float:
    """Squared error ``1/2 sum (target - out)^2``."""
    return float(0.5 * np.sum((np.asarray(targets) - output_out) ** 2))


def step(net: Network, x=SEED_INPUTS, targets=SEED_TARGETS, learning_rate=SEED_LEARNING_RATE) -> Step:
    """One forward pass, one backward pass (chain rule) and one gradient-descent update."""
    learning_rate = check_positive("learning_rate", learning_rate)
    x = np.asarray(x, dtype=float)
    hidden_out, output_out = forward(net, x)
    # dE/dnet_o = (out - target) * out * (1 - out): the error signal at each output unit.
    delta_out = (output_out - np.asarray(targets)) * output_out * (1 - output_out)
    grad_output = np.outer(delta_out, hidden_out)
    delta_hidden = (net.output.T @ delta_out) * hidden_out * (1 - hidden_out)
    grad_hidden = np.outer(delta_hidden, x)
    updated = Network(net.hidden - learning_rate * grad_hidden, net.output - learning_rate * grad_output, net.b1, net.b2)
    return Step(hidden_out, output_out, loss(output_out, targets), grad_hidden, grad_output, updated)


def train(steps=1000, net: Network | None = None, x=SEED_INPUTS, targets=SEED_TARGETS, learning_rate=SEED_LEARNING_RATE):
    """Train for ``steps`` updates; returns (losses before each step plus the final one, final net).

    ``losses`` has ``steps + 1`` entries: ``losses[0]`` is the initial loss.
    """
    steps = check_one_count("steps", steps)
    net = net or Network()
    losses = np.empty(steps + 1)
    for i in range(steps):
        result = step(net, x, targets, learning_rate)
        losses[i] = result.loss
        net = result.updated
    losses[-1] = loss(forward(net, x)[1], targets)
    return losses, net
