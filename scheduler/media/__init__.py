"""Images and videos uploaded to Callsheet: the store on disk and each production's library.

Modules: ``store`` (files named by their sha256, written while counted and hashed, their type
from their bytes), ``intake`` (a multipart/form-data body streamed into the store), ``library``
(the rows: uploads recorded and listed, a post's media resolved, the worker's files placed).
"""
