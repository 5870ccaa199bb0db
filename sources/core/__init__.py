"""The shared core every upstream source uses: one landing rule, one hash helper, one retry policy, one redaction,
config file IO and the error types. Agency modules (``sources/<agency>/``) import from here and never from each other.
"""
