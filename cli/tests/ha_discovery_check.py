"""Checks udrv's Home Assistant discovery documents against Home Assistant's own MQTT
discovery schemas (run by cli/tests/serve_mqtt.rs and serve_commands.rs with the Python
of a venv that has the `homeassistant` package): each document must validate, and no key
may be one Home Assistant drops as unknown. Usage: ha_discovery_check.py DOCS.json
(a JSON array of {"topic": ..., "doc": ...})."""

import json
import sys

from homeassistant.components.mqtt import binary_sensor, number, sensor, switch
from homeassistant.const import __version__

SCHEMAS = {
    "sensor": sensor.DISCOVERY_SCHEMA,
    "binary_sensor": binary_sensor.DISCOVERY_SCHEMA,
    "switch": switch.DISCOVERY_SCHEMA,
    "number": number.DISCOVERY_SCHEMA,
}

items = json.load(open(sys.argv[1], encoding="utf-8"))
bad = 0
for item in items:
    topic, doc = item["topic"], item["doc"]
    component = topic.split("/")[1]
    try:
        valid = SCHEMAS[component](dict(doc))
    except Exception as e:  # voluptuous.Invalid and friends
        print(f"{topic}: refused: {e}")
        bad += 1
        continue
    dropped = sorted(set(doc) - set(valid))
    if dropped:
        print(f"{topic}: keys Home Assistant ignores: {', '.join(dropped)}")
        bad += 1
print(f"{len(items) - bad} of {len(items)} discovery documents valid for Home Assistant {__version__}")
sys.exit(1 if bad else 0)
