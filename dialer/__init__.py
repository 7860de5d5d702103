"""The dialer: scheduler, policy gate, AMI originate, FastAGI, campaigns."""
