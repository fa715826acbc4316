"""Syntax shared by several apps' inputs."""

import re

# A CPV code or a prefix of one: 2 to 8 digits, optionally the check digit
# (the register's ``cpv`` filter and a subscription's prefixes).
CPV_PREFIX = re.compile(r"^(\d{2,8})(-\d)?$")
