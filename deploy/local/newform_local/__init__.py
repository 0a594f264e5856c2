"""The development side: the local stack, the generators and the checks of what is published.

- :mod:`newform_local.postgres` — :class:`EmbeddedPostgres` on the PostgreSQL 16 binaries shipped by
  the ``pgserver`` wheel.
- :mod:`newform_local.kafka` — :class:`LocalKafka`, a single-node KRaft broker run from the Kafka
  jars on Maven Central (fetched once into ``<repo>/.cache``: :mod:`newform_local.kafka_runtime`).
- :mod:`newform_local.stack`, :mod:`newform_local.running`, :mod:`newform_local.keys` — `newform dev`
  (`make run`): every registered service on them, supervised, with development keys.
- :mod:`newform_local.cli` — the `newform` command.
- :mod:`newform_local.new_service` (with :mod:`newform_local.service_files` and ``service_template/``)
  — `newform new-service`: a service in the one shape, its registry line, its gateway slice.
- :mod:`newform_local.apidocs`, :mod:`newform_local.deploy`, :mod:`newform_local.sdks` — `api/`,
  `deploy/` and `sdks/` generated from the code and the registry, and checked.
- :mod:`newform_local.ports` — free ports, waiting for a port, the repo root.
"""
