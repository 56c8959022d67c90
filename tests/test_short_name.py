"""helpers.plots.short_name: the display name of a registered photo, shortened and wrapped."""
import pytest

from helpers import data
from helpers.plots import short_name


def test_pets_keep_the_description_in_brackets_dishes_the_name_before_it():
    assert short_name(data.record("d2l_cat3_white_kitten")) == "white kitten"
    fries = next(r for r in data.records("food") if r.label.startswith("french fries ("))
    assert short_name(fries) == "french fries"


def test_long_names_are_cut_to_width_and_wrapped_to_lines():
    corgi = data.record("unsplash_corgi_snow")   # "corgi puppy in snow, second dog at edge"
    one = short_name(corgi, width=20)
    assert len(one) <= 20 and one.endswith("...")
    two = short_name(corgi, width=24, lines=2)
    assert two.count("\n") == 1 and all(len(line) <= 24 for line in two.splitlines())


def test_bad_width_names_the_argument():
    with pytest.raises(ValueError, match="width"):
        short_name(data.record("d2l_cat3_white_kitten"), width=0)
