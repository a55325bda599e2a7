"""The owner's web admin: NiceGUI pages under /admin, served by `stocky cloud serve`.

The pages are a client of the cloud's own HTTP API, called in-process with the signed-in
user's bearer token (`api.AdminApi`): authentication, roles, row-level security, audit and
change notices are the API's, so the admin has no second path to the database.
"""
