"""The smallest complete training run: a DataLoader, the small AlexNet, and the loop written out.

    python examples/minimal_train.py      # 3 epochs on the embedded Fashion-MNIST subset

No Trainer and no flags: every step of training is one line below. Measured on 2 CPU cores:
82.0% test accuracy after 3 epochs with seed 0 (72.7%, 76.8%, 82.0%; chance is 10%;
5.5 minutes for the three on a busy shared 2-core machine); train_alexnet.py adds augmentation,
schedules, checkpoints and logs around the same loop.
"""
import minidl
import minidl.functional as F
from minidl.data import DataLoader, FashionMNIST
from minidl.data.transforms import Compose, Normalize, ToTensor
from minidl.models import alexnet_small
from minidl.optim import SGD


def train(epochs=3, seed=0):
    minidl.manual_seed(seed)                                  # weights and dropout masks
    to_input = Compose([ToTensor(), Normalize((0.286,), (0.353,))])
    train_set = FashionMNIST(train=True, transform=to_input)  # 8,000 images, no download
    test_set = FashionMNIST(train=False, transform=to_input)  # 2,000
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True, seed=seed)
    test_loader = DataLoader(test_set, batch_size=500)

    model = alexnet_small(num_classes=10, in_channels=1, input_size=28)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    for epoch in range(epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()                             # gradients accumulate otherwise
            loss = F.cross_entropy(model(images), labels)
            loss.backward()                                   # fills every parameter's .grad
            optimizer.step()                                  # w <- w - lr * (momentum buffer)

        model.eval()                                          # dropout off
        correct = 0
        with minidl.no_grad():
            for images, labels in test_loader:
                correct += int((model(images).argmax(1) == labels).sum().item())
        accuracy = correct / len(test_set)
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}, test accuracy {accuracy:.1%}")
    return accuracy


if __name__ == "__main__":
    train()
