"""Receipt numbers: one per comment, read back, and every slip of a digit caught."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consultations.receipts import comment_of_receipt, receipt_number

IDS = st.integers(min_value=1, max_value=2**53)


def test_a_receipt_reads_like_a_tracking_number() -> None:
    assert receipt_number(123) == "RT-000123-20"
    assert comment_of_receipt("rt-000123-20") == 123
    assert comment_of_receipt(" RT00012320 ") == 123, "typed without dashes"
    assert comment_of_receipt("RT-000123-21") is None
    assert comment_of_receipt("RT-000000-98") is None, "no comment 0"
    assert comment_of_receipt("<script>") is None


@given(IDS)
def test_every_receipt_names_its_comment(comment_id: int) -> None:
    assert comment_of_receipt(receipt_number(comment_id)) == comment_id


@given(IDS, st.data())
def test_a_mistyped_or_swapped_digit_is_caught(comment_id: int, data: st.DataObject) -> None:
    receipt = receipt_number(comment_id)
    digits = receipt.replace("RT-", "").replace("-", "")
    at = data.draw(st.integers(0, len(digits) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[at]]))
    typo = digits[:at] + wrong + digits[at + 1 :]
    assert comment_of_receipt(f"RT{typo}") is None
    if at + 1 < len(digits) and digits[at] != digits[at + 1]:
        swapped = digits[:at] + digits[at + 1] + digits[at] + digits[at + 2 :]
        assert comment_of_receipt(f"RT{swapped}") is None
