"""Fixtures of the training-loop tests (the tiny model and data are in train_helpers.py)."""
import pytest

import minidl
from minidl.data import DataLoader
from train_helpers import blobs


@pytest.fixture
def loaders():
    train = DataLoader(blobs(96, seed=0), batch_size=16, shuffle=True, seed=0)
    val = DataLoader(blobs(48, seed=1), batch_size=16, seed=0)
    return train, val


@pytest.fixture(autouse=True)
def _seed():
    minidl.manual_seed(0)
