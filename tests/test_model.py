import json

import pytest
import torch

import cnn
from cnn import CONFIGS, DigitCNN, load_model
from cnn.hub import DEFAULT_WEIGHTS_DIR, load_folder
from cnn.model import count_parameters


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("batch", [1, 7])
def test_forward_gives_logits_per_class(name, batch):
    model = DigitCNN(**CONFIGS[name]).eval()
    logits = model(torch.rand(batch, 1, 28, 28))
    assert logits.shape == (batch, 10)
    assert torch.isfinite(logits).all()


def test_original_configuration_matches_the_reported_architecture():
    model = DigitCNN(**CONFIGS["original"])
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in model.classifier if isinstance(m, torch.nn.Linear)]
    assert [c.out_channels for c in convs] == [32, 64, 128]
    assert [(l.in_features, l.out_features) for l in linears] == [(1152, 512), (512, 256), (256, 10)]
    assert {m.p for m in model.classifier if isinstance(m, torch.nn.Dropout)} == {0.5}
    conv = 1 * 32 * 9 + 32 * 64 * 9 + 64 * 128 * 9  # bias-free: BatchNorm follows each conv
    batchnorm = 2 * (32 + 64 + 128)
    dense = (1152 * 512 + 512) + (512 * 256 + 256) + (256 * 10 + 10)
    assert count_parameters(model) == conv + batchnorm + dense == 817_130


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_json_rebuilds_the_same_architecture(tmp_path, name):
    model = DigitCNN(**CONFIGS[name])
    model.save_pretrained(tmp_path)
    rebuilt = DigitCNN(**json.loads((tmp_path / "config.json").read_text()))
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}
    assert str(rebuilt) == str(model)


def test_safetensors_round_trip_keeps_every_tensor(tmp_path):
    torch.manual_seed(1)
    model = DigitCNN(channels=(8, 16), hidden=(32,), dropout=0.3)
    # Non-default BatchNorm statistics, so buffers are checked too.
    model.train()
    model(torch.rand(16, 1, 28, 28))
    model.save_pretrained(tmp_path)
    loaded = load_folder(tmp_path)
    original, restored = model.state_dict(), loaded.state_dict()
    assert original.keys() == restored.keys()
    for key in original:
        assert torch.equal(original[key], restored[key]), key
    model.eval()
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(model(x), loaded(x))


def test_default_weights_load_in_eval_mode():
    model = cnn.load_model()
    assert isinstance(model, DigitCNN)
    assert not model.training
    pixels = torch.rand(2, 28, 28)
    probs = model.predict_proba(pixels)  # (N, 28, 28) is accepted as (N, 1, 28, 28)
    assert probs.shape == (2, 10)
    with torch.no_grad():
        assert torch.allclose(probs, (model(pixels[:, None]) / model.temperature).softmax(1), atol=1e-6)
    assert model.temperature > 0 and model.temperature == json.loads((DEFAULT_WEIGHTS_DIR / "config.json").read_text()).get("temperature", 1.0)


def test_hub_mixin_from_pretrained_reads_a_saved_folder(tmp_path):
    model = DigitCNN(channels=(8, 16), hidden=(32,))
    model.save_pretrained(tmp_path)
    loaded = DigitCNN.from_pretrained(tmp_path)
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key


def test_load_model_of_a_local_folder(tmp_path):
    DigitCNN(channels=(8,), hidden=()).save_pretrained(tmp_path)
    model = load_model(tmp_path)
    assert model(torch.rand(1, 1, 28, 28)).shape == (1, 10)


def test_served_model_folds_batchnorm_without_changing_answers():
    from cnn.serve import Recognizer

    model = cnn.load_model()
    served = Recognizer(model).model
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in served.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # the original is untouched
    x = torch.rand(16, 1, 28, 28)
    assert torch.allclose(served.predict_proba(x), model.predict_proba(x), atol=1e-5)


def test_default_arguments_build_the_shipped_configuration():
    shipped = json.loads((DEFAULT_WEIGHTS_DIR / "config.json").read_text())
    built = dict(DigitCNN()._hub_mixin_config)
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in built.items() if k != "temperature"} == {
        k: v for k, v in shipped.items() if k != "temperature"
    }
