"""Platform adapters: the contract, the registry, and the platforms.

``base`` is the contract and the error tree; ``http`` is the one place an HTTP answer becomes
an error; ``registry`` finds adapters by the ``callsheet.adapters`` entry point.

Each platform's adapter class is in the module named after it (``x``, ``bluesky``, …), the one
its entry point names. A platform with more to it keeps each further concept in a module
prefixed with its name: its API client, settings and tokens (``x_api``, ``linkedin_api``,
``tiktok_api``, ``youtube_api``, ``bluesky_session``), its media or upload protocol
(``x_media``, ``bluesky_media``, ``tiktok_upload``, ``youtube_upload``) and its lookup of lost
answers (``x_lookup``, ``mastodon_lookup``, ``tiktok_lookup``). Meta's three platforms share
``meta`` (the Graph API), ``meta_adapter`` and ``meta_lookup``. What several platforms share is
unprefixed: ``steps`` (progress kept across attempts), ``media`` and ``video`` (the files),
``oauth`` (TikTok's and Google's refresh tokens).
"""
