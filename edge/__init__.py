"""The edge node: an aiohttp service at a border gate, a park gate or a checkpoint that
verifies permit QR codes offline, logs every scan durably and shows the verdict.

Modules, each with one job:

* :mod:`edge.config`: the frozen :class:`~edge.config.EdgeConfig`;
* :mod:`edge.identity`: the edge's Ed25519 key file and the API token;
* :mod:`edge.store`: the only module with SQL (schema, migrations, queries);
* :mod:`edge.state`: the in-memory :class:`~edge.state.EdgeState` the verdict reads;
* :mod:`edge.reference`: changes to reference data (disk and memory together);
* :mod:`edge.scanner`: the scan pipeline (verdict and append in one writer job);
* :mod:`edge.views`, :mod:`edge.onsite`, :mod:`edge.i18n`: pure presentation;
* :mod:`edge.app`, :mod:`edge.routes`, :mod:`edge.api`, :mod:`edge.pages`,
  :mod:`edge.auth`, :mod:`edge.httpio`, :mod:`edge.render`: the web layer;
* :mod:`edge.cli`: ``borderpass edge init|serve|trust``.
"""
