"""channels-redis's pub/sub layer, with what it keeps while Redis is down bounded.

channels-redis 4.3.0 (the latest release) leaks while Redis is unreachable:

- ``RedisPubSubLoopLayer._subscribe_to_channel`` puts the new channel's
  queue in ``self.channels`` *before* it subscribes; when the SUBSCRIBE
  fails, ``new_channel()`` raises, the consumer never learns the name, and
  nothing ever removes the queue. Every socket refused with 1013 during an
  outage, and every reconnection attempt after it, left one queue behind.
- ``group_add`` records the channel in ``self.groups`` before its SUBSCRIBE;
  a failed one leaves it there.
- A channel whose UNSUBSCRIBE failed (a socket that closed during the
  outage) stays in the shard's subscriptions and in redis-py's own
  ``PubSub.channels``, so every reconnection subscribes it again, forever.

Each is undone here when the Redis command fails. Upstream's code is
otherwise unchanged (subclasses; ``_get_layer`` is the original with this
module's loop layer).
"""

from __future__ import annotations

import asyncio
import logging

from channels_redis import pubsub
from channels_redis.utils import _wrap_close

logger = logging.getLogger(__name__)


class _Shard(pubsub.RedisSingleShardConnection):
    async def unsubscribe(self, channel):
        try:
            await super().unsubscribe(channel)
        except BaseException:
            # Redis is unreachable: forget the subscription here too, so that
            # the reconnection does not subscribe a channel nobody reads.
            self._subscribed_to.discard(channel)
            if self._pubsub is not None:
                for key in (channel, channel.encode()):
                    self._pubsub.channels.pop(key, None)
            raise


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]

    async def _subscribe_to_channel(self, channel):
        try:
            await super()._subscribe_to_channel(channel)
        except BaseException:
            self.channels.pop(channel, None)
            raise

    async def group_add(self, group, channel):
        try:
            await super().group_add(group, channel)
        except BaseException:
            group_channel = self._get_group_channel_name(group)
            members = self.groups.get(group_channel)
            if members is not None and channel in members:
                members.discard(channel)
                if not members:
                    del self.groups[group_channel]
            raise


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """``channels_redis.pubsub.RedisPubSubChannelLayer``, bounded while Redis is down."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            layer = self._layers[loop]
        except KeyError:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer
