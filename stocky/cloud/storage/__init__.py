"""Object storage for uploaded files (product images): a local folder or an S3 bucket.

The backend is chosen by the settings (`build_storage`); callers see `ObjectStorage` and a
URL a browser can load without a bearer token (signed for the local folder, presigned for
S3), valid for a bounded time.
"""
