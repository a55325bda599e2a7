"""The jobs tier: procrastinate on the cloud's own PostgreSQL.

A job is deferred inside the transaction of the state it acts on (`defer.defer_in`), so a
rolled-back request leaves no job and a committed one always has its job. Workers run in
`stocky cloud worker` processes, or inside `stocky cloud serve --with-worker` for small
setups; each runs every task of `stocky.cloud.tasks` with the API app's services.
"""
