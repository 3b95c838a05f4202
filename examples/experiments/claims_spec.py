"""What each of the papers' claims is, how the paper tested it, how it is tested here, and which
contrasts decide it (read by claims_report.py; the runs are paper_claims.py).

An arm is "experiment:arm" in the records ("alexnet:plain" is the unmodified alexnet_small that
claims 2, 4, 5 and 6 share). A contrast is the per-seed difference metric(b) - metric(a), written
so that the paper's effect is positive, with a verdict.Contrast (paper's size in these units,
or a TOST margin).
"""
import math

from verdict import Contrast

PLATEAU = ("SGD, momentum 0.9, weight decay 5e-4, batch 64, lr 0.01 divided by 10 when the "
           "validation error (eval mode, 5,000 held-out training images, each epoch) has not "
           "improved for 2 epochs, at most twice; the run stops at the third such plateau or "
           "after 20 epochs")
PAPER_SGD = ("SGD, momentum 0.9, weight decay 5e-4, batch 128, lr 0.01 divided by 10 when the "
             "validation error stopped improving, three times; about 90 epochs")
DATA_ROW = ("data", "ImageNet: 1.2M colour photos, 224×224×3",
            "Fashion-MNIST: 10,000 training images (1,000 a class; not all 60,000, which would "
            "cost six times a budget of about 8 hours for every claim), 28×28×1; test: all "
            "10,000")
SEEDS_ROW = ("runs", "one net per setting", "5 paired seeds (0-4)")


def epochs_to(rec, threshold, key="train_sub_err"):
    """(first recorded epoch whose eval-mode training-subset error is <= threshold, censored):
    a run that never gets there gives its length and True (a lower bound)."""
    for h in rec["history"]:
        if h.get(key) is not None and h[key] <= threshold:
            return h["epoch"], False
    return (rec["history"][-1]["epoch"] if rec["history"] else float("nan")), True


def last_sub_err(rec):
    """The last eval-mode training-subset error a run recorded; 1.0 (the worst) for a run that
    diverged (its last record is the non-finite loss, with no such error)."""
    if rec["history"] and rec["history"][-1].get("diverged"):
        return 1.0
    values = [h["train_sub_err"] for h in rec["history"] if "train_sub_err" in h]
    return values[-1] if values else 1.0


def err(key="test_err"):
    return lambda rec: rec["final"][key]


def log_epochs(threshold):
    def fn(rec):
        return math.log(epochs_to(rec, threshold)[0])
    fn.threshold = threshold
    return fn


def c(label, a, b, fn, contrast, paper, unit="points", keep_failed=False):
    """A contrast; a time-to-threshold one (``fn`` from log_epochs) carries its threshold as
    ``censor`` so the report can treat runs that never got there (claims_report.censoring)."""
    return dict(label=label, a=a, b=b, fn=fn, contrast=contrast, paper=paper, unit=unit,
                keep_failed=keep_failed, censor=getattr(fn, "threshold", None))


LN6, LN2 = math.log(6), math.log(2)

CLAIMS = {
    1: dict(
        title="ReLU trains faster than tanh (AlexNet §3.1, Figure 1)",
        paper="A four-layer convolutional network with ReLUs reaches 25% training error on "
              "CIFAR-10 six times faster (in epochs) than the same network with tanh.",
        rows=[("net", "four-layer convolutional net, CIFAR-10 (32×32×3)",
               "four layers: three 5×5 convs (32, 32, 64 maps), each + activation + 3×3 "
               "stride-2 max-pool, one fc layer; 28×28×1"),
              ("regularisation", "none of any kind", "none: no LRN, no dropout, weight decay 0"),
              ("learning rate", "each net's own, chosen to train as fast as possible",
               "constant; each arm's best rate from the sweep below (one run per rate, seed "
               "100, fewest epochs to the harder threshold, then to 25%)"),
              ("training error", "on the training set (Figure 1)",
               "eval mode on a fixed 1,000-image training subset, 10 times an epoch"),
              ("threshold", "25%", "25%, and 12% as a harder level (both fixed before the runs)"),
              ("optimiser", "SGD, momentum 0.9, batch 128", "SGD, momentum 0.9, batch 128, "
               "at most 15 epochs (stops at the harder threshold)"),
              ("data", "CIFAR-10: 50,000 colour images", "Fashion-MNIST: 10,000 training "
               "images, grey"), ("runs", "one net each (the figure)", "5 paired seeds")],
        differences=["grey 28×28 clothing instead of colour 32×32 objects: the harder 12% "
                     "level is there because a threshold the data makes easy can come before "
                     "the two nets part", "the init (He normal, the same for both arms) is "
                     "not the paper's, which it does not state",
                     "a run that never reaches a threshold counts its length (a lower bound)"],
        arms=[("ReLU", "claim1:relu"), ("tanh", "claim1:tanh")], plot="curves",
        metrics=[("epochs to 25%", lambda r: epochs_to(r, 0.25)[0], "epochs"),
                 ("epochs to 12%", lambda r: epochs_to(r, 0.12)[0], "epochs"),
                 ("test error", err(), "points")],
        contrasts=[c("tanh ÷ ReLU epochs to 25%", "claim1:relu", "claim1:tanh",
                     log_epochs(0.25), Contrast("c1-25", +1, LN6), "6×", "ratio"),
                   c("tanh ÷ ReLU epochs to 12%", "claim1:relu", "claim1:tanh",
                     log_epochs(0.12), Contrast("c1-12", +1, LN6), "6× (at 25%)", "ratio")]),
    2: dict(
        title="Local response normalisation lowers the error (AlexNet §3.3)",
        paper="LRN lowers top-1/top-5 error by 1.4/1.2 points on ImageNet; on CIFAR-10 a "
              "four-layer net had 13% test error without it and 11% with it.",
        rows=[("net", "AlexNet, LRN (k 2, n 5, α 1e-4, β 0.75) after conv1 and conv2",
               "`alexnet_small` (width 0.25), the same LRN; the other arm has both LRN "
               "layers replaced by `nn.Identity`"), DATA_ROW,
              ("training", PAPER_SGD, PLATEAU), ("judged on", "top-1 error", "test error"),
              SEEDS_ROW],
        differences=["a net 1/4 as wide on 28×28 grey images", "batch 64, at most 20 epochs (the budget)"],
        arms=[("LRN", "alexnet:plain"), ("no LRN", "claim2:no LRN")], plot="bars",
        metrics=[("test error", err(), "points"), ("train error", err("train_err"), "points")],
        contrasts=[c("no LRN − LRN test error", "alexnet:plain", "claim2:no LRN", err(),
                     Contrast("c2", +1, 0.014), "+1.4 (ImageNet top-1; CIFAR +2.0)")]),
    3: dict(
        title="Overlapping pooling (AlexNet §3.4)",
        paper="Pooling with z = 3, s = 2 instead of z = 2, s = 2 lowers top-1/top-5 by "
              "0.4/0.3 points, and nets with overlapping pooling are slightly harder to overfit.",
        rows=[("pools", "3×3 stride 2 vs 2×2 stride 2; both give the same map sizes "
                        "(55 -> 27 -> 13 -> 6)",
               "3×3 stride 2 rounding up vs 2×2 stride 2 rounding down: both 28 -> 14 -> 7 -> 3, "
               "so fc6 sees 64×3×3 in both arms (a new fc6, He init, the same in both)"),
              DATA_ROW, ("training", PAPER_SGD, PLATEAU), SEEDS_ROW],
        differences=["both arms differ from the plain `alexnet_small` (whose unpadded 3×3 "
                     "pools give 13 -> 6 -> 2): equal sizes need the rounding"],
        arms=[("overlapping 3/2", "claim3:overlapping 3/2"),
              ("non-overlapping 2/2", "claim3:non-overlapping 2/2")], plot="bars",
        metrics=[("test error", err(), "points"), ("train error", err("train_err"), "points"),
                 ("test − train", err("gap"), "points")],
        contrasts=[c("2/2 − 3/2 test error", "claim3:overlapping 3/2",
                     "claim3:non-overlapping 2/2", err(), Contrast("c3", +1, 0.004),
                     "+0.4 (top-1)"),
                   c("2/2 − 3/2 overfitting (test − train)", "claim3:overlapping 3/2",
                     "claim3:non-overlapping 2/2", err("gap"), Contrast("c3g", +1),
                     "\"slightly\" > 0 (no size)")]),
    4: dict(
        title="Dropout: less overfitting, about twice the iterations to converge (AlexNet §4.2)",
        paper="Without dropout the network overfits substantially; dropout roughly doubles the "
              "number of iterations required to converge.",
        rows=[("nets", "AlexNet with and without dropout 0.5 in fc6, fc7",
               "`alexnet_small` with dropout 0.5 and with p = 0"), DATA_ROW,
              ("training", PAPER_SGD, PLATEAU),
              ("convergence", "iterations to converge (not defined further)",
               "epochs until the eval-mode error on the fixed 1,000-image training subset "
               "(4 times an epoch) reaches 15%"),
              ("overfitting", "(described)", "test error − eval-mode training error at the end"),
              SEEDS_ROW],
        differences=["convergence read as a training-error level (15%, fixed before the runs)"],
        arms=[("dropout 0.5", "alexnet:plain"), ("no dropout", "claim4:no dropout")],
        plot="curves",
        metrics=[("test error", err(), "points"), ("train error", err("train_err"), "points"),
                 ("test − train", err("gap"), "points"),
                 ("epochs to 15%", lambda r: epochs_to(r, 0.15)[0], "epochs")],
        contrasts=[c("no dropout − dropout overfitting", "alexnet:plain", "claim4:no dropout",
                     err("gap"), Contrast("c4g", +1), "\"substantial\" (no size)"),
                   c("dropout ÷ no dropout epochs to 15%", "claim4:no dropout", "alexnet:plain",
                     log_epochs(0.15), Contrast("c4e", +1, LN2), "2×", "ratio")]),
    5: dict(
        title="Data augmentation and ten-crop testing (AlexNet §4.1)",
        paper="Without the random crops and flips the network overfits substantially; PCA "
              "colour augmentation lowers top-1 by over 1 point; at test time the softmax of "
              "ten patches (four corners, centre, their mirrors) is averaged.",
        rows=[("crops", "random 224×224 of 256×256, and mirrors",
               "pad 2 with black, random 28×28 crop, mirror with p 0.5"),
              ("test", "ten patches averaged", "centre (the image) and ten crops of the "
               "2-padded test image (`ten_crop_predict`)"), DATA_ROW,
              ("training", PAPER_SGD + " (to convergence)", PLATEAU + " (to convergence)"),
              SEEDS_ROW],
        differences=["a 2-pixel shift on 28×28 is a smaller jitter than 32 pixels on 256"],
        not_testable=[("PCA colour augmentation", "needs colour: the shift is along the three "
                       "eigenvectors of the RGB covariance; a grey image has one, so it would "
                       "be a brightness jitter, not the paper's colour shift")],
        arms=[("no augmentation", "alexnet:plain"), ("crops + flips", "claim5:crops + flips")],
        plot="bars",
        metrics=[("test error", err(), "points"), ("test − train", err("gap"), "points"),
                 ("ten-crop test error", lambda r: r["final"].get("ten_crop_err", math.nan),
                  "points")],
        contrasts=[c("none − crops+flips test error", "claim5:crops + flips", "alexnet:plain",
                     err(), Contrast("c5", +1), "> 0 (no size)"),
                   c("none − crops+flips overfitting", "claim5:crops + flips", "alexnet:plain",
                     err("gap"), Contrast("c5g", +1), "\"substantial\" (no size)"),
                   c("centre − ten-crop test error", None, "claim5:crops + flips",
                     lambda r: r["final"]["test_err"] - r["final"]["ten_crop_err"],
                     Contrast("c5t", +1), "> 0 (no size)")]),
    6: dict(
        title="Two towers (groups=2) vs one tower with half the kernels (AlexNet §3.2)",
        paper="The two-GPU net lowers top-1/top-5 by 1.7/1.2 points against a net with half "
              "as many kernels in each convolutional layer on one GPU (the last conv layer and "
              "the fc layers kept at full size, the paper's footnote).",
        rows=[("nets", "two-GPU AlexNet vs one GPU, half the kernels",
               "`alexnet_small` (conv2, conv4, conv5 in two groups) vs `AlexNet(groups=1)` with "
               "conv1-conv4 at half the channels, conv5 and fc6-fc8 as they are"),
              DATA_ROW, ("training", PAPER_SGD, PLATEAU), SEEDS_ROW],
        differences=["one device: the towers are grouped convolutions"],
        arms=[("two towers", "alexnet:plain"),
              ("one tower, half the kernels", "claim6:one tower, half the kernels")],
        plot="bars",
        metrics=[("test error", err(), "points"), ("train error", err("train_err"), "points")],
        contrasts=[c("one tower − two towers test error", "alexnet:plain",
                     "claim6:one tower, half the kernels", err(), Contrast("c6", +1, 0.017),
                     "+1.7 (top-1)")]),
    7: dict(
        title="VGG: depth, and LRN does not help (VGG §4.1, Table 3)",
        paper="The error falls with depth from A (11 layers) to D/E (16/19); A-LRN is no "
              "better than A; C (with 1×1 layers) is worse than D; B with 5×5 instead of pairs "
              "of 3×3 is worse than B (top-1 7 points higher).",
        rows=[("nets", "A, A-LRN, D, E at 224×224×3 (64-512 channels, fc 4096)",
               "`vgg_small` (16-32-64-128-128 channels, fc 512, pools rounding up: "
               "28 -> 14 -> 7 -> 4 -> 2 -> 1)"),
              ("init", "A from N(0, 0.01²); B-E from A's first four conv and three fc layers, "
                       "the rest random", "A and A-LRN He init; D and E from the trained A of "
                                         "the same seed (`init_from`), the rest He"),
              ("data", "ImageNet at S = 256: random crops, flips, RGB shift",
               "Fashion-MNIST 10,000 training images, no augmentation; test: all 10,000"),
              ("training", "SGD, momentum 0.9, weight decay 5e-4, batch 256, dropout 0.5, lr "
                           "0.01 ÷10 on validation plateaus (three times), 74 epochs", PLATEAU),
              ("judged on", "single-scale top-1 error (Table 3)", "test error"), SEEDS_ROW],
        differences=["A starts from He init, not N(0, 0.01²) (claim 8 tries the latter on D)",
                     "the deeper nets' last blocks see 4- and 2-pixel maps"],
        not_testable=[("C (1×1) vs D (3×3)", "needs natural images larger than 28×28: C's 1×1 "
                       "layers sit in blocks 3-5, where the maps here are 7, 4 and 2 pixels and "
                       "a 3×3 kernel sees mostly zero padding, so the contrast is not the "
                       "paper's"),
                      ("B with 5×5 vs B", "needs natural images larger than 28×28: a 5×5 "
                       "kernel on the 4- and 2-pixel maps of blocks 4-5 is mostly padding")],
        arms=[("A", "claim7:A"), ("A-LRN", "claim7:A-LRN"), ("D (from A)", "claim7:D (from A)"),
              ("E (from A)", "claim7:E (from A)")], plot="bars",
        metrics=[("test error", err(), "points"), ("train error", err("train_err"), "points")],
        contrasts=[c("A − D test error (depth)", "claim7:D (from A)", "claim7:A", err(),
                     Contrast("c7d", +1, 0.026), "+2.6 (29.6 vs 27.0)"),
                   c("A − E test error (depth)", "claim7:E (from A)", "claim7:A", err(),
                     Contrast("c7e", +1, 0.023), "+2.3 (29.6 vs 27.3)"),
                   c("A-LRN − A test error (no better)", "claim7:A", "claim7:A-LRN", err(),
                     Contrast("c7l", 0, margin=0.005), "+0.1; TOST margin ±0.5")]),
    8: dict(
        title="A deep VGG from N(0, 0.01²) stalls; initialised from A it trains (VGG §3.1)",
        paper="The deeper nets were initialised from net A because bad initialisation can "
              "stall learning in deep nets (N(0, 0.01²) weights, no batch normalisation).",
        rows=[("arms", "D random (N(0, 0.01²)) vs D from A (the paper reports only that it "
                       "initialised from A)",
               "`vgg_small('D', init='paper')`: every weight N(0, 0.01²), biases 0; vs claim "
               "7's D from A (the same records)"),
              ("measure", "(stalling, described)", "epochs until the eval-mode error on the "
               "1,000-image training subset (twice an epoch) falls to 50%; test error"),
              DATA_ROW, ("training", PAPER_SGD, PLATEAU), SEEDS_ROW],
        differences=["here a stalled run is the outcome being measured: claim 8 keeps runs "
                     "that never left chance in its contrasts (the one exception to the "
                     "failed-run rule), and counts them",
                     "a stalled run's validation error never improves, so the plateau rule "
                     "ends it after about 7 epochs: 'stalls' means 'stalls under this "
                     "schedule', and its time to 50% is then a lower bound"],
        arms=[("D from N(0, 0.01²)", "claim8:D from N(0, 0.01²)"),
              ("D from A", "claim7:D (from A)")], plot="curves",
        metrics=[("epochs to 50%", lambda r: epochs_to(r, 0.5)[0], "epochs"),
                 ("test error", err(), "points")],
        contrasts=[c("random ÷ from-A epochs to 50%", "claim7:D (from A)",
                     "claim8:D from N(0, 0.01²)", log_epochs(0.5), Contrast("c8e", +1),
                     "> 1 (stalls; no size)", "ratio", keep_failed=True),
                   c("random − from-A test error", "claim7:D (from A)",
                     "claim8:D from N(0, 0.01²)", err(), Contrast("c8t", +1),
                     "> 0 (no size)", keep_failed=True)]),
    9: dict(
        title="Scale jittering; multi-crop and dense evaluation (VGG §3, §4.2-4.3)",
        paper="Training with scale jittering (S in [256, 512]) beats a fixed scale; multi-crop "
              "and dense evaluation are complementary: their combination beats each.",
        rows=[], differences=[], arms=[], metrics=[], contrasts=[], plot=None,
        not_testable=[("the whole claim", "needs natural images larger than 28×28: jittering "
                       "rescales a photo whose short side is 256-512 pixels and crops 224, so "
                       "objects appear at different sizes with real detail; Fashion-MNIST's "
                       "28×28 items are centred at one size, and upscaling them adds no "
                       "detail for multi-scale crops or dense evaluation to use")]),
    10: dict(
        title="GoogLeNet's auxiliary classifiers help only a little (GoogLeNet §5)",
        paper="The auxiliary classifiers (loss weight 0.3) improve the result by about 0.5 "
              "points.",
        rows=[("nets", "GoogLeNet (22 layers) with and without the two auxiliary heads",
               "`googlenet_small` (width 0.25) trained with `googlenet_loss` (main + 0.3 × each "
               "head), and the same net with both heads removed after construction"),
              ("init", "(not stated)", "xavier (googlenet_small's default)"), DATA_ROW,
              ("training", "asynchronous SGD, momentum 0.9, lr ÷ 1.04 every 8 epochs", PLATEAU),
              SEEDS_ROW],
        differences=["the schedule: validation plateaus instead of a fixed 4% decay"],
        arms=[("auxiliary heads", "claim10:auxiliary heads"),
              ("no auxiliary heads", "claim10:no auxiliary heads")], plot="bars",
        metrics=[("test error", err(), "points"), ("train error", err("train_err"), "points")],
        contrasts=[c("no aux − aux test error", "claim10:auxiliary heads",
                     "claim10:no auxiliary heads", err(), Contrast("c10", +1, 0.005),
                     "+0.5")]),
}
