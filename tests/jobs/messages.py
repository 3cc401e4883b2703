"""Messages for the retraining tests."""

# A kind of spam the SMS data has never seen: the models call most of it ham until they learn.
PARCEL_SPAM = [
    f"Hi it's Dana from the depot, your parcel {n} is on hold, pay the small fee today at "
    f"parcel-help{n}.example so it is not returned"
    for n in range(60)
]
