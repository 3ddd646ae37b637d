"""Calibration of the offline severity suggestion on the demo history (leave-one-out).

The 40 closed deviations of ai/severity_history.py are made as seed_demo makes them (reported,
investigated, closed with a signature; indexed by the real embedding model into an embedded Chroma
in a temporary folder). Each one in turn is left out and its description is classified by the
others (search.deviation_helpers.severity_from_history, the code the endpoint runs). Printed:

- accuracy of the vote next to the majority-class baseline (0.25: ten per severity);
- for several prior weights (PRIOR_WEIGHT in search/deviation_helpers.py): the mean stated
  confidence, the expected calibration error (ECE, 5 equal-width bins: |accuracy - confidence|
  weighted by the share of suggestions in the bin), the Brier score of the winner, and the
  reliability table of the chosen weight.

    .venv/bin/python bench/severity_calibration.py [--k 10]
"""

import argparse
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

WORKDIR = harness.configure()

import os  # noqa: E402

os.environ["CHROMA_PATH"] = f"{WORKDIR}/chroma"

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

PRIOR_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
BINS = 5


def ece(pairs: list[tuple[float, bool]]) -> tuple[float, list[tuple[str, int, float, float]]]:
    table = []
    total = 0.0
    for b in range(BINS):
        low, high = b / BINS, (b + 1) / BINS
        inside = [(c, ok) for c, ok in pairs if low <= c < high or (b == BINS - 1 and c == 1.0)]
        if not inside:
            continue
        accuracy = sum(ok for _, ok in inside) / len(inside)
        confidence = sum(c for c, _ in inside) / len(inside)
        total += len(inside) / len(pairs) * abs(accuracy - confidence)
        table.append((f"{low:.1f}-{high:.1f}", len(inside), confidence, accuracy))
    return total, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    settings.CHROMA_PATH = f"{WORKDIR}/chroma"
    settings.DEBUG = True  # seed_demo refuses otherwise (the bench runs in a throw-away database)
    call_command("migrate", verbosity=0)
    from accounts import demo as accounts_demo
    from ai import demo as ai_demo
    from ai.severity_history import HISTORY
    from deviations.models import Deviation
    from search import deviation_helpers

    accounts_demo.seed(io.StringIO())
    ai_demo.seed(io.StringIO())
    deviation_helpers.K = args.k
    by_title = {d.title: d for d in Deviation.objects.filter(title__in=[e[0] for e in HISTORY])}
    votes = []
    for title, description, _category, _area, severity in HISTORY:
        vote = deviation_helpers.severity_from_history(description, exclude_id=by_title[title].pk)
        votes.append((vote, severity))
    answered = [(v, truth) for v, truth in votes if v.severity is not None]
    accuracy = sum(v.severity == truth for v, truth in answered) / len(votes)
    print(f"== leave-one-out over {len(votes)} closed deviations of the demo history (k={args.k}, weight = similarity^2)")
    print(f"  accuracy {accuracy:.3f} (majority-class baseline 0.250); answered {len(answered)} of {len(votes)}")
    print(f"  {'prior weight':>12} {'mean conf':>10} {'ECE':>7} {'Brier':>7}")
    tables = {}
    for prior in PRIOR_WEIGHTS:
        pairs = [
            (deviation_helpers.calibrated_confidence(v.weights, v.severity, prior_weight=prior), v.severity == truth)
            for v, truth in answered
        ]
        error, table = ece(pairs)
        brier = sum((c - ok) ** 2 for c, ok in pairs) / len(pairs)
        tables[prior] = table
        mark = "  <- PRIOR_WEIGHT" if prior == deviation_helpers.PRIOR_WEIGHT else ""
        print(f"  {prior:>12.2f} {sum(c for c, _ in pairs) / len(pairs):>10.3f} {error:>7.3f} {brier:>7.3f}{mark}")
    print(f"  reliability at PRIOR_WEIGHT={deviation_helpers.PRIOR_WEIGHT}: bin, suggestions, mean confidence, accuracy")
    for name, n, confidence, bin_accuracy in tables[deviation_helpers.PRIOR_WEIGHT]:
        print(f"    {name}  {n:>3}  {confidence:.2f}  {bin_accuracy:.2f}")


if __name__ == "__main__":
    main()
