"""The release service's peers, one client each (peers/dataset.py, labeling.py,
interpolation.py), as one object handed to the use cases and the build."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from services.release.peers.dataset import DatasetPeer
from services.release.peers.interpolation import InterpolationPeer
from services.release.peers.labeling import LabelingPeer
from shared.auth import AuthConfig


@dataclass(frozen=True)
class Peers:
    dataset: DatasetPeer
    labeling: LabelingPeer
    interpolation: InterpolationPeer

    @classmethod
    def over(cls, dataset: grpc.aio.Channel, labeling: grpc.aio.Channel,
             interpolation: grpc.aio.Channel, auth: AuthConfig | None) -> Peers:
        return cls(DatasetPeer(dataset, auth), LabelingPeer(labeling, auth),
                   InterpolationPeer(interpolation, auth))
