"""newform SDK for Python: one generated client package per service (`newform_sdk.contracts`,
`newform_sdk.gateway`, …, made by `make sdks` from api/openapi/), `newform_sdk.webhooks`, the
receiver's signature and replay check, and `newform_sdk.bulk`, the wages batch uploads (CSV, JSON
lines) the generated clients cannot send."""

try:
    from ._version import __version__  # the API version, written by `make sdks` / `make sdks-dist`
except ImportError:  # a checkout before `make sdks`
    __version__ = "0+unknown"
