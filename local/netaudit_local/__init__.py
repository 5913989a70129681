"""The local runner: moto for the AWS control plane, this machine for the container instance.

Never imported by a Lambda. It swaps only the far side of the AWS clients: the handlers, the
domain code, the ASL and the probe script are exactly what ships.
"""
