"""Training augmentations (cnn/augment.py): what each one may and may not change."""

import numpy as np
import torch
import torch.nn.functional as F

from cnn.augment import Augmentation, augment, centre_lines, non_digits, restyle, retrace
from cnn.redraw import centre_line


def _digits(mnist_test, count=64):
    images, labels = mnist_test
    return torch.from_numpy(images[:count]).unsqueeze(1), torch.from_numpy(labels[:count])


def test_restyle_adds_strokes_to_1s_7s_and_0s_only(mnist_test):
    images, labels = _digits(mnist_test)
    for slanted in (False, True):
        styled = restyle(images, labels, Augmentation(styles=1.0, flagged_ones=1.0, slanted_flags=slanted), torch.Generator().manual_seed(0))
        added = (styled - images).clamp(min=0).sum(dim=(1, 2, 3))
        restyled = (labels == 0) | (labels == 1) | (labels == 7)
        assert torch.equal(styled[~restyled], images[~restyled])
        assert (added[restyled] > 3).all()  # a flag, a crossbar or a slash: several pixels of new ink
        assert (styled >= images).all() and styled.max() <= 1


def test_restyle_shares_for_1s_apart_from_7s_and_0s(mnist_test):
    images, labels = _digits(mnist_test, 256)
    styled = restyle(images, labels, Augmentation(styles=0.0, flagged_ones=1.0), torch.Generator().manual_seed(0))
    changed = (styled != images).flatten(1).any(1)
    assert changed[labels == 1].all() and not changed[labels != 1].any()


def test_hooks_are_short_strokes_on_1s_only(mnist_test):
    images, labels = _digits(mnist_test, 256)
    ones = labels == 1
    hooked = restyle(images, labels, Augmentation(styles=0.0, flagged_ones=0.0, hooked_ones=1.0), torch.Generator().manual_seed(0))
    flagged = restyle(images, labels, Augmentation(styles=0.0, flagged_ones=1.0, feet=0.0), torch.Generator().manual_seed(0))
    assert (hooked != images).flatten(1).any(1)[ones].all() and torch.equal(hooked[~ones], images[~ones])
    # A hook is 0.1-0.3 of the height, a flag 0.35-0.7: far less new ink.
    new_ink = lambda styled: (styled - images).clamp(min=0).sum(dim=(1, 2, 3))[ones]  # noqa: E731
    assert new_ink(hooked).mean() < 0.6 * new_ink(flagged).mean()


def test_batched_thinning_matches_the_reference_implementation(mnist_test):
    images, _ = _digits(mnist_test, 32)
    ink = (F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False) > 0.4).float()
    ours = centre_lines(ink, iterations=20)[:, 0].bool().numpy()
    reference = np.stack([centre_line(image[0].numpy() > 0) for image in ink])
    assert (ours == reference).all()


def test_retrace_follows_the_digit_with_another_pen(mnist_test):
    images, _ = _digits(mnist_test)
    drawn = retrace(images, 1.0, torch.Generator().manual_seed(1))
    assert drawn.shape == images.shape and drawn.min() >= 0 and drawn.max() <= 1
    original, new = images > 0.3, drawn > 0.3
    # The new pen covers the old centre line, and draws nowhere far from the old ink.
    line = centre_lines(original.float()).bool()
    assert (new & line).sum() >= 0.9 * line.sum()
    near = F.max_pool2d(original.float(), 5, stride=1, padding=2).bool()
    assert (new & ~near).sum() <= 0.01 * new.sum()
    assert not torch.equal(new, original)  # the pen did change


def test_retrace_pens_stay_within_the_widest_asked_for():
    images = torch.zeros(64, 1, 28, 28)
    images[:, :, 4:24, 13:15] = 1  # sixty-four 1s, 20 px tall: the retraced stroke's width is its ink per row
    rows = slice(10, 18)  # away from the round ends
    width = lambda drawn: drawn[:, 0, rows].sum(dim=2).mean(dim=1)  # noqa: E731
    usual = width(retrace(images, 1.0, torch.Generator().manual_seed(4)))
    broad = width(retrace(images, 1.0, torch.Generator().manual_seed(4), widest=6.5))
    assert usual.min() >= 1.4 and usual.max() <= 4.6, usual  # 1.5 to 4.5 px, as before
    assert 6.4 <= broad.max() <= 6.6, broad  # a pen of 6.5 px appears, nothing wider
    assert broad.mean() > usual.mean() + 0.5
    each = retrace(images, 1.0, torch.Generator().manual_seed(4), widest=torch.tensor([4.5, 6.5]).repeat(32))
    per_image = width(each)
    assert per_image[0::2].max() <= 4.6 and 6.4 <= per_image[1::2].max() <= 6.6, per_image  # each image its own widest
    # --narrow-ones-sevens: the same bars labelled 1 and 3, every one retraced and nothing else changed
    still = Augmentation(retrace=1.0, retrace_widest=6.5, narrow_ones_sevens=True, styles=0, flagged_ones=0, rotate_deg=0,
                         scale=0, aspect=0, shear_deg=0, shift_px=0, elastic_px=0, thicken=0, thin=0)
    drawn = width(augment(images, torch.tensor([1, 3]).repeat(32), still, torch.Generator().manual_seed(4)))
    assert drawn[0::2].max() <= 4.6 and 6.4 <= drawn[1::2].max() <= 6.6, drawn


def test_augment_is_reproducible_and_non_digits_have_ink():
    images = torch.zeros(8, 1, 28, 28)
    images[:, :, 6:22, 13:15] = 1  # eight 1s
    labels = torch.ones(8, dtype=torch.long)
    first = augment(images, labels, Augmentation(), torch.Generator().manual_seed(2))
    second = augment(images, labels, Augmentation(), torch.Generator().manual_seed(2))
    assert torch.equal(first, second) and torch.allclose(first.amax(dim=(1, 2, 3)), torch.ones(8))
    others = non_digits(16, torch.Generator().manual_seed(3))
    assert others.shape == (16, 1, 28, 28) and others.min() >= 0 and others.max() <= 1
    assert (others.sum(dim=(1, 2, 3)) > 20).all()
