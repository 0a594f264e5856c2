"""newform SDK for Python: one generated client package per service (`newform_sdk.contracts`,
`newform_sdk.gateway`, …, made by `make sdks` from api/openapi/), and `newform_sdk.webhooks`, the
receiver's signature and replay check."""
