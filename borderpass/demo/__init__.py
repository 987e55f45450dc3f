"""``borderpass demo``: the whole pilot zone simulated on one machine, with ground truth.

A hub and one edge per site of the shipped site map run as separate processes on
loopback (the hub inside a network namespace when the machine allows it, so that one
edge can find it with zeroconf); a seeded population of workers crosses the border,
works in the parks and sometimes breaks the rules; the hub's alerts are then compared
with what the simulation knows happened.

Pure, seeded parts: ``population`` (employers, workers, their permits), ``schedule``
(what a plan is made of), ``itinerary`` and ``plan`` (every scan and action of the
run, the planted incidents), ``truth`` (the alerts the rules imply), ``summary``
(tables, precision and recall), ``layout`` (folders, ports, the commands and settings
of each process). I/O: ``processes`` (the hub and edges as processes), ``netns`` (the
namespace and its veth pair), ``clients`` (the hub's and edges' HTTP APIs), ``fleet``
(setting them up, acting on them, waiting for them), ``traffic`` (scans paced by the
simulated clock), ``progress`` (a bar on stderr), ``runner`` (the demo from start to
end) and ``cli`` (``borderpass demo``).
"""
