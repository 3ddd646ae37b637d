"""Mapping legacy states to workflow states (`--state-map` and `--state-map-file`, shared by the
deviation and CAPA imports).

    --state-map "Open=reported,In work=under_investigation,Done=closed"
    --state-map-file states.csv     (columns legacy_state,state; `;` works as well)

A legacy state that is not mapped may already be the name of a workflow state (case-insensitive).
An empty legacy state starts the record in its workflow's initial state.
"""

from __future__ import annotations

from pathlib import Path

from qms.errors import InvalidInput

from .reading import CellError, Table


def parse_state_map(text: str | None, file: str | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if file:
        table = Table(Path(file))
        if not {"legacy_state", "state"} <= set(table.headers):
            raise InvalidInput(f"{file}: the state map needs the columns legacy_state and state.", field="state_map_file")
        for row in table.rows():
            mapping[row.get("legacy_state").lower()] = row.get("state")
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        if "=" not in pair:
            raise InvalidInput(f"--state-map: {pair.strip()!r} is not legacy=state.", field="state_map")
        legacy, state = pair.split("=", 1)
        mapping[legacy.strip().lower()] = state.strip()
    return mapping


class StateMapper:
    def __init__(self, mapping: dict[str, str], states: list[str], *, column: str = "state"):
        self.mapping, self.states, self.column = mapping, states, column
        unknown = sorted({s for s in mapping.values() if s not in states})
        if unknown:
            raise InvalidInput(
                f"The state map names states the workflow does not have: {', '.join(unknown)} (states: {', '.join(states)}).",
                field="state_map",
            )

    def __call__(self, legacy: str) -> str:
        text = (legacy or "").strip()
        if not text:
            return ""
        if text.lower() in self.mapping:
            return self.mapping[text.lower()]
        by_name = {s.lower(): s for s in self.states}
        if text.lower() in by_name:
            return by_name[text.lower()]
        raise CellError(
            self.column,
            f"Legacy state {text!r} is not mapped: add it to --state-map or the state map file "
            f"(states: {', '.join(self.states)}).",
        )
