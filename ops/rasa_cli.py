"""``rasa`` on the command line with the model loading of this assistant's servers.

``make rasa-test`` (``rasa test core``) loads the trained model as every Rasa server of the
assistant does, with :mod:`ops.model_load` installed (TED's weights built without tracing a
training graph: the same predictions, ~20 s less per load here). Nothing else differs from
Rasa's own ``rasa`` command: ``python -m ops.rasa_cli test core --stories ...``.
"""

from __future__ import annotations

from ops import model_load


def main() -> None:
    """Rasa's CLI entry point after :func:`ops.model_load.install`."""
    model_load.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
