"""Phenology: when each species flies here, estimated honestly from presence-only sightings. (Map; filled in below.)"""
