"""The local stack: real PostgreSQL and a real Kafka broker on this machine, without Docker.

- :mod:`newform_local.postgres` — :class:`EmbeddedPostgres` on the PostgreSQL 16 binaries shipped by
  the ``pgserver`` wheel.
- :mod:`newform_local.kafka` — :class:`LocalKafka`, a single-node KRaft broker run from the Kafka
  jars on Maven Central (fetched once into ``<repo>/.cache``).
- :mod:`newform_local.ports` — free ports, waiting for a port, the repo root.
"""
