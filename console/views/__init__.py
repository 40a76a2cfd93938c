"""The console's request handlers, one module per section, each with its own ``ROUTES``.

Sections: ``login`` (sign-in, health), ``conversations`` (list, transcript, review, tags,
flags, saved filters), ``nlu`` (the NLU inbox), ``training`` (export and test stories),
``handoff`` (the agents' queue and chat), ``analytics`` (figures and ingestion) and
``admin`` (users, audit log). ``console.routes`` puts their routes together; ``common``
holds the request helpers they share. Handlers are small: read the request, call one
service in a thread, render.
"""
