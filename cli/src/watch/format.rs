//! `udrv watch`'s output: one text line or one JSON object per event.

use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};
use udrv_core::hotplug::{Action, Device, Event, Parent};

/// The parent's fields for JSON.
pub(super) fn parent_json(p: &Parent) -> serde_json::Value {
    json!({"subsystem": p.subsystem, "driver": p.driver, "name": p.name})
}

/// Whether the device is still there to look at (its parent is worth reading).
pub(super) fn present(action: &Action) -> bool {
    matches!(
        action,
        Action::Add | Action::Change | Action::Move | Action::Online
    )
}

/// The text line's detail: the driver on bind, else where the device comes from.
pub(super) fn detail(ev: &Event, parent: Option<&Parent>) -> String {
    if ev.action == Action::Bind {
        return ev
            .driver()
            .map(|d| format!("(driver {d})"))
            .unwrap_or_default();
    }
    let Some(p) = parent else {
        return String::new();
    };
    let mut parts: Vec<String> = p.subsystem.iter().cloned().collect();
    match (&p.driver, &p.name) {
        (Some(d), _) => parts.push(d.clone()),
        (None, Some(n)) => parts.push(format!("\"{n}\"")),
        (None, None) => {}
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("({})", parts.join(" "))
    }
}

/// The name a text line shows: the device node, else the udrv device, else the devpath.
pub(super) fn display_name(ev: &Event) -> String {
    if let Some(n) = &ev.devname {
        return n.display().to_string();
    }
    match ev.device() {
        Some(d) => d.to_string(),
        None => ev.devpath.clone(),
    }
}

/// `HH:MM:SS.mmm` (UTC) of a wall-clock time.
pub(super) fn clock(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let day = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day / 3600,
        day / 60 % 60,
        day % 60,
        since.subsec_millis()
    )
}

/// One event as a text line:
/// `12:03:04.512  add     serial  /dev/ttyUSB0  (usb-serial ftdi_sio)`.
pub(super) fn format_text(ev: &Event, t: SystemTime, parent: Option<&Parent>) -> String {
    let kind = ev
        .device()
        .map(|d| d.class().name().to_string())
        .unwrap_or_else(|| ev.subsystem.clone());
    let line = format!(
        "{}  {:<7} {:<7} {}  {}",
        clock(t),
        ev.action.as_str(),
        kind,
        display_name(ev),
        detail(ev, parent)
    );
    line.trim_end().to_string()
}

/// The device's own fields for JSON.
pub(super) fn device_json(d: &Device) -> serde_json::Value {
    let mut v = match d {
        Device::I2cBus { bus } => json!({"type": "i2c-bus", "bus": bus}),
        Device::I2cClient { bus, addr, ten_bit } => {
            json!({"type": "i2c-client", "bus": bus, "address": addr, "ten_bit": ten_bit})
        }
        Device::Spidev { bus, cs } => json!({"type": "spidev", "bus": bus, "cs": cs}),
        Device::SpiDevice { bus, cs } => json!({"type": "spi-device", "bus": bus, "cs": cs}),
        Device::GpioChip { number } => json!({"type": "gpiochip", "number": number}),
        Device::Uio { number } => json!({"type": "uio", "number": number}),
        Device::Serial { name } => json!({"type": "serial", "tty": name}),
        _ => json!({"type": "other"}),
    };
    v["name"] = json!(d.to_string());
    v["node"] = json!(d.node());
    v
}

/// One event as a JSON object.
pub(super) fn format_json(ev: &Event, t: SystemTime, parent: Option<&Parent>) -> serde_json::Value {
    let device = ev.device();
    json!({
        "time": t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64(),
        "action": ev.action.as_str(),
        "subsystem": ev.subsystem,
        "devpath": ev.devpath,
        "devname": ev.devname,
        "class": device.as_ref().map(|d| d.class().name()),
        "device": device.as_ref().map(device_json),
        "driver": ev.driver(),
        "seqnum": ev.seqnum(),
        "parent": parent.map(parent_json),
    })
}
