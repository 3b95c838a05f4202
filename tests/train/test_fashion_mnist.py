"""A small convnet trains on the embedded Fashion-MNIST subset through
the whole stack (IDX files -> transforms -> DataLoader -> Conv2d/ReLU/MaxPool2d -> SGD with
momentum and weight decay -> StepLR -> Trainer) and beats 80% test accuracy."""
import minidl
from minidl import nn
from minidl.data import DataLoader, FashionMNIST
from minidl.data.transforms import Compose, Normalize, ToTensor
from minidl.optim import SGD
from minidl.optim.lr_scheduler import StepLR
from minidl.train import Trainer


def test_small_convnet_beats_80_percent(tmp_path):
    minidl.manual_seed(0)
    tf = Compose([Normalize(0.286, 0.353), ToTensor()])          # the subset's mean and std
    train = DataLoader(FashionMNIST(None, train=True, transform=tf), 64, shuffle=True, seed=0)
    test = DataLoader(FashionMNIST(None, train=False, transform=tf), 500)
    assert len(train.dataset) == 8000 and len(test.dataset) == 2000
    model = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),     # 8×14×14
                          nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),    # 16×7×7
                          nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    trainer = Trainer(model, opt, scheduler=StepLR(opt, step_size=1, gamma=0.3), out_dir=tmp_path,
                      progress=False, verbose=False, plot=False)
    history = trainer.fit(train, test, epochs=2)
    assert history[-1]["val_acc1"] > 80.0, history
    assert trainer.evaluate(test)["acc1"] == history[-1]["val_acc1"]   # the model that was scored
