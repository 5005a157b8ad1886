"""The release build pipeline: the builder (claims, leases, resumes builds), one release's build,
the staging database of a build's scratch space, the frame-formatting process pool and its
frame layouts, in-order prefetch, and the settings of builds."""
