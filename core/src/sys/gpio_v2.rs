//! GPIO character device uAPI v2 (Linux 5.10+), from `include/uapi/linux/gpio.h`, plus the
//! two ioctls v1 and v2 share (`GPIO_GET_CHIPINFO_IOCTL`, `GPIO_GET_LINEINFO_UNWATCH_IOCTL`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::fs::{read_records, Pod};
use super::{cvt, ioc, IOC_READ, IOC_WRITE};

/// `GPIO_MAX_NAME_SIZE`.
pub(crate) const MAX_NAME_SIZE: usize = 32;
/// `GPIO_V2_LINES_MAX`.
pub(crate) const LINES_MAX: usize = 64;
/// `GPIO_V2_LINE_NUM_ATTRS_MAX`.
pub(crate) const NUM_ATTRS_MAX: usize = 10;

/// `enum gpio_v2_line_flag`.
pub(crate) mod flag {
    pub(crate) const USED: u64 = 1 << 0;
    pub(crate) const ACTIVE_LOW: u64 = 1 << 1;
    pub(crate) const INPUT: u64 = 1 << 2;
    pub(crate) const OUTPUT: u64 = 1 << 3;
    pub(crate) const EDGE_RISING: u64 = 1 << 4;
    pub(crate) const EDGE_FALLING: u64 = 1 << 5;
    pub(crate) const OPEN_DRAIN: u64 = 1 << 6;
    pub(crate) const OPEN_SOURCE: u64 = 1 << 7;
    pub(crate) const BIAS_PULL_UP: u64 = 1 << 8;
    pub(crate) const BIAS_PULL_DOWN: u64 = 1 << 9;
    pub(crate) const BIAS_DISABLED: u64 = 1 << 10;
    pub(crate) const EVENT_CLOCK_REALTIME: u64 = 1 << 11;
    pub(crate) const EVENT_CLOCK_HTE: u64 = 1 << 12;
}

/// `enum gpio_v2_line_attr_id`.
pub(crate) const ATTR_ID_FLAGS: u32 = 1;
/// `GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES`.
pub(crate) const ATTR_ID_OUTPUT_VALUES: u32 = 2;
/// `GPIO_V2_LINE_ATTR_ID_DEBOUNCE`.
pub(crate) const ATTR_ID_DEBOUNCE: u32 = 3;

/// `GPIO_V2_LINE_CHANGED_REQUESTED` (also v1's `GPIOLINE_CHANGED_REQUESTED`).
pub(crate) const LINE_CHANGED_REQUESTED: u32 = 1;
/// `GPIO_V2_LINE_CHANGED_RELEASED`.
pub(crate) const LINE_CHANGED_RELEASED: u32 = 2;
/// `GPIO_V2_LINE_CHANGED_CONFIG`.
pub(crate) const LINE_CHANGED_CONFIG: u32 = 3;

/// `GPIO_V2_LINE_EVENT_RISING_EDGE`.
pub(crate) const LINE_EVENT_RISING_EDGE: u32 = 1;
/// `GPIO_V2_LINE_EVENT_FALLING_EDGE`.
pub(crate) const LINE_EVENT_FALLING_EDGE: u32 = 2;

/// `struct gpiochip_info`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct GpiochipInfo {
    pub name: [u8; MAX_NAME_SIZE],
    pub label: [u8; MAX_NAME_SIZE],
    pub lines: u32,
}

/// `struct gpio_v2_line_values`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LineValues {
    pub bits: u64,
    pub mask: u64,
}

/// The union inside `struct gpio_v2_line_attribute`.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub(crate) union AttrValue {
    pub flags: u64,
    pub values: u64,
    pub debounce_period_us: u32,
}

/// `struct gpio_v2_line_attribute`.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub(crate) struct LineAttribute {
    pub id: u32,
    pub padding: u32,
    pub value: AttrValue,
}

impl LineAttribute {
    /// A `GPIO_V2_LINE_ATTR_ID_FLAGS` attribute.
    pub(crate) fn flags(flags: u64) -> Self {
        LineAttribute {
            id: ATTR_ID_FLAGS,
            padding: 0,
            value: AttrValue { flags },
        }
    }
    /// A `GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES` attribute.
    pub(crate) fn output_values(values: u64) -> Self {
        LineAttribute {
            id: ATTR_ID_OUTPUT_VALUES,
            padding: 0,
            value: AttrValue { values },
        }
    }
    /// A `GPIO_V2_LINE_ATTR_ID_DEBOUNCE` attribute.
    pub(crate) fn debounce(period_us: u32) -> Self {
        // Zero the whole union first so the upper half is not left undefined.
        let mut value = AttrValue { flags: 0 };
        value.debounce_period_us = period_us;
        LineAttribute {
            id: ATTR_ID_DEBOUNCE,
            padding: 0,
            value,
        }
    }
    /// The flags, when `id` is `ATTR_ID_FLAGS`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn get_flags(&self) -> Option<u64> {
        // SAFETY: every union field is an integer, all bit patterns are valid.
        (self.id == ATTR_ID_FLAGS).then_some(unsafe { self.value.flags })
    }
    /// The output values bitmap, when `id` is `ATTR_ID_OUTPUT_VALUES`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn get_output_values(&self) -> Option<u64> {
        // SAFETY: every union field is an integer, all bit patterns are valid.
        (self.id == ATTR_ID_OUTPUT_VALUES).then_some(unsafe { self.value.values })
    }
    /// The whole 8-byte value as the kernel sees it, whatever `id` says.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn raw_value(&self) -> u64 {
        // SAFETY: every union field is an integer, all bit patterns are valid, and the
        // union is always fully initialised (see `debounce`).
        unsafe { self.value.flags }
    }
    /// The debounce period in microseconds, when `id` is `ATTR_ID_DEBOUNCE`.
    pub(crate) fn get_debounce_us(&self) -> Option<u32> {
        // SAFETY: every union field is an integer, all bit patterns are valid.
        (self.id == ATTR_ID_DEBOUNCE).then_some(unsafe { self.value.debounce_period_us })
    }
}

impl std::fmt::Debug for LineAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: every union field is an integer, all bit patterns are valid.
        let raw = unsafe { self.value.flags };
        f.debug_struct("LineAttribute")
            .field("id", &self.id)
            .field("value", &format_args!("{raw:#x}"))
            .finish()
    }
}

/// `struct gpio_v2_line_config_attribute`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineConfigAttribute {
    pub attr: LineAttribute,
    pub mask: u64,
}

/// `struct gpio_v2_line_config`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineConfig {
    pub flags: u64,
    pub num_attrs: u32,
    pub padding: [u32; 5],
    pub attrs: [LineConfigAttribute; NUM_ATTRS_MAX],
}

/// `struct gpio_v2_line_request`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineRequest {
    pub offsets: [u32; LINES_MAX],
    pub consumer: [u8; MAX_NAME_SIZE],
    pub config: LineConfig,
    pub num_lines: u32,
    pub event_buffer_size: u32,
    pub padding: [u32; 5],
    pub fd: i32,
}

/// `struct gpio_v2_line_info`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineInfo {
    pub name: [u8; MAX_NAME_SIZE],
    pub consumer: [u8; MAX_NAME_SIZE],
    pub offset: u32,
    pub num_attrs: u32,
    pub flags: u64,
    pub attrs: [LineAttribute; NUM_ATTRS_MAX],
    pub padding: [u32; 4],
}

/// `struct gpio_v2_line_info_changed`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineInfoChanged {
    pub info: LineInfo,
    pub timestamp_ns: u64,
    pub event_type: u32,
    pub padding: [u32; 5],
}

/// `struct gpio_v2_line_event`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LineEvent {
    pub timestamp_ns: u64,
    pub id: u32,
    pub offset: u32,
    pub seqno: u32,
    pub line_seqno: u32,
    pub padding: [u32; 6],
}

// SAFETY: all of these are `#[repr(C)]` integers, integer arrays and a union of integers.
unsafe impl Pod for GpiochipInfo {}
// SAFETY: as above.
unsafe impl Pod for LineValues {}
// SAFETY: as above.
unsafe impl Pod for LineAttribute {}
// SAFETY: as above.
unsafe impl Pod for LineConfigAttribute {}
// SAFETY: as above.
unsafe impl Pod for LineConfig {}
// SAFETY: as above.
unsafe impl Pod for LineRequest {}
// SAFETY: as above.
unsafe impl Pod for LineInfo {}
// SAFETY: as above.
unsafe impl Pod for LineInfoChanged {}
// SAFETY: as above.
unsafe impl Pod for LineEvent {}

const IOWR: u32 = IOC_READ | IOC_WRITE;
/// `GPIO_GET_CHIPINFO_IOCTL`: `_IOR(0xB4, 0x01, struct gpiochip_info)`.
pub(crate) const GET_CHIPINFO_IOCTL: libc::c_ulong =
    ioc(IOC_READ, 0xB4, 0x01, std::mem::size_of::<GpiochipInfo>());
/// `GPIO_GET_LINEINFO_UNWATCH_IOCTL`: `_IOWR(0xB4, 0x0C, __u32)`.
pub(crate) const GET_LINEINFO_UNWATCH_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x0C, std::mem::size_of::<u32>());
/// `GPIO_V2_GET_LINEINFO_IOCTL`.
pub(crate) const GET_LINEINFO_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x05, std::mem::size_of::<LineInfo>());
/// `GPIO_V2_GET_LINEINFO_WATCH_IOCTL`.
pub(crate) const GET_LINEINFO_WATCH_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x06, std::mem::size_of::<LineInfo>());
/// `GPIO_V2_GET_LINE_IOCTL`.
pub(crate) const GET_LINE_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x07, std::mem::size_of::<LineRequest>());
/// `GPIO_V2_LINE_SET_CONFIG_IOCTL`.
pub(crate) const LINE_SET_CONFIG_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x0D, std::mem::size_of::<LineConfig>());
/// `GPIO_V2_LINE_GET_VALUES_IOCTL`.
pub(crate) const LINE_GET_VALUES_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x0E, std::mem::size_of::<LineValues>());
/// `GPIO_V2_LINE_SET_VALUES_IOCTL`.
pub(crate) const LINE_SET_VALUES_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x0F, std::mem::size_of::<LineValues>());

/// `ioctl(fd, req, arg)` for a pointer argument to a `Pod`.
pub(crate) fn ioctl_ptr<T: Pod>(
    fd: BorrowedFd<'_>,
    req: libc::c_ulong,
    arg: &mut T,
) -> io::Result<libc::c_int> {
    // SAFETY: `req` encodes `size_of::<T>()` (every caller passes the matching constant),
    // so the kernel reads/writes at most that many bytes of `*arg`, which is valid and
    // exclusively borrowed for the call; `T` is plain data.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg as *mut T) })
}

/// [`ioctl_ptr`] for a request the kernel answers with a new descriptor in the field
/// `new_fd` picks (set to -1 before the call); that descriptor, now ours.
pub(crate) fn ioctl_new_fd<T: Pod>(
    fd: BorrowedFd<'_>,
    req: libc::c_ulong,
    arg: &mut T,
    new_fd: fn(&mut T) -> &mut libc::c_int,
) -> io::Result<OwnedFd> {
    *new_fd(arg) = -1;
    ioctl_ptr(fd, req, arg)?;
    let raw = *new_fd(arg);
    if raw < 0 {
        return Err(io::Error::from_raw_os_error(libc::EIO));
    }
    // SAFETY: on success the kernel installed a new descriptor in the field that nothing
    // else owns; we take ownership exactly once.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// `GPIO_GET_CHIPINFO_IOCTL` on a chip fd.
pub(crate) fn get_chipinfo(fd: BorrowedFd<'_>) -> io::Result<GpiochipInfo> {
    let mut info = GpiochipInfo::zeroed();
    ioctl_ptr(fd, GET_CHIPINFO_IOCTL, &mut info)?;
    Ok(info)
}

/// `GPIO_V2_GET_LINEINFO_IOCTL` on a chip fd.
pub(crate) fn get_lineinfo(fd: BorrowedFd<'_>, offset: u32) -> io::Result<LineInfo> {
    let mut info = LineInfo::zeroed();
    info.offset = offset;
    ioctl_ptr(fd, GET_LINEINFO_IOCTL, &mut info)?;
    Ok(info)
}

/// `GPIO_V2_GET_LINEINFO_WATCH_IOCTL` on a chip fd: the line's info now, and change
/// events on the chip fd from now on.
pub(crate) fn watch_lineinfo(fd: BorrowedFd<'_>, offset: u32) -> io::Result<LineInfo> {
    let mut info = LineInfo::zeroed();
    info.offset = offset;
    ioctl_ptr(fd, GET_LINEINFO_WATCH_IOCTL, &mut info)?;
    Ok(info)
}

/// `GPIO_GET_LINEINFO_UNWATCH_IOCTL` on a chip fd (v1 and v2).
pub(crate) fn unwatch_lineinfo(fd: BorrowedFd<'_>, offset: u32) -> io::Result<()> {
    let mut off = offset;
    ioctl_ptr(fd, GET_LINEINFO_UNWATCH_IOCTL, &mut off)?;
    Ok(())
}

/// `GPIO_V2_GET_LINE_IOCTL` on a chip fd; returns the new line request fd.
pub(crate) fn get_line(fd: BorrowedFd<'_>, req: &mut LineRequest) -> io::Result<OwnedFd> {
    ioctl_new_fd(fd, GET_LINE_IOCTL, req, |r| &mut r.fd)
}

/// `GPIO_V2_LINE_SET_CONFIG_IOCTL` on a line request fd.
pub(crate) fn set_config(fd: BorrowedFd<'_>, config: &LineConfig) -> io::Result<()> {
    let mut c = *config;
    ioctl_ptr(fd, LINE_SET_CONFIG_IOCTL, &mut c)?;
    Ok(())
}

/// `GPIO_V2_LINE_GET_VALUES_IOCTL`: the bits of the lines in `mask` (request indexes).
pub(crate) fn get_values(fd: BorrowedFd<'_>, mask: u64) -> io::Result<u64> {
    let mut v = LineValues { bits: 0, mask };
    ioctl_ptr(fd, LINE_GET_VALUES_IOCTL, &mut v)?;
    Ok(v.bits & mask)
}

/// `GPIO_V2_LINE_SET_VALUES_IOCTL`: sets the lines in `mask` to `bits`.
pub(crate) fn set_values(fd: BorrowedFd<'_>, bits: u64, mask: u64) -> io::Result<()> {
    let mut v = LineValues { bits, mask };
    ioctl_ptr(fd, LINE_SET_VALUES_IOCTL, &mut v)?;
    Ok(())
}

/// Reads as many edge events as fit in `buf` (at least one, or `WouldBlock` on a
/// non-blocking fd). Returns how many were read.
pub(crate) fn read_events(fd: BorrowedFd<'_>, buf: &mut [LineEvent]) -> io::Result<usize> {
    read_records(fd, buf)
}

/// Reads line info change events from a chip fd.
pub(crate) fn read_info_changed(
    fd: BorrowedFd<'_>,
    buf: &mut [LineInfoChanged],
) -> io::Result<usize> {
    read_records(fd, buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn struct_sizes_match_the_kernel() {
        // Sizes from include/uapi/linux/gpio.h (Linux 6.1), computed by hand from the
        // field lists; independent of the Rust declarations above.
        assert_eq!(size_of::<GpiochipInfo>(), 32 + 32 + 4);
        assert_eq!(size_of::<LineValues>(), 16);
        assert_eq!(size_of::<LineAttribute>(), 16);
        assert_eq!(size_of::<LineConfigAttribute>(), 24);
        assert_eq!(size_of::<LineConfig>(), 8 + 4 + 20 + 10 * 24);
        assert_eq!(size_of::<LineConfig>(), 272);
        assert_eq!(size_of::<LineRequest>(), 592);
        assert_eq!(size_of::<LineInfo>(), 256);
        assert_eq!(size_of::<LineInfoChanged>(), 256 + 8 + 4 + 20);
        assert_eq!(size_of::<LineEvent>(), 48);
        assert_eq!(align_of::<LineRequest>(), 8);
    }

    #[test]
    fn field_offsets_match_the_kernel() {
        assert_eq!(offset_of!(LineAttribute, value), 8);
        assert_eq!(offset_of!(LineConfigAttribute, mask), 16);
        assert_eq!(offset_of!(LineConfig, num_attrs), 8);
        assert_eq!(offset_of!(LineConfig, attrs), 32);
        assert_eq!(offset_of!(LineRequest, consumer), 256);
        assert_eq!(offset_of!(LineRequest, config), 288);
        assert_eq!(offset_of!(LineRequest, num_lines), 560);
        assert_eq!(offset_of!(LineRequest, event_buffer_size), 564);
        assert_eq!(offset_of!(LineRequest, fd), 588);
        assert_eq!(offset_of!(LineInfo, offset), 64);
        assert_eq!(offset_of!(LineInfo, flags), 72);
        assert_eq!(offset_of!(LineInfo, attrs), 80);
        assert_eq!(offset_of!(LineInfoChanged, timestamp_ns), 256);
        assert_eq!(offset_of!(LineInfoChanged, event_type), 264);
        assert_eq!(offset_of!(LineEvent, id), 8);
        assert_eq!(offset_of!(LineEvent, offset), 12);
        assert_eq!(offset_of!(LineEvent, seqno), 16);
        assert_eq!(offset_of!(LineEvent, line_seqno), 20);
    }

    #[test]
    fn ioctl_numbers_match_the_kernel() {
        // Values as printed by a C program including <linux/gpio.h> on x86_64.
        assert_eq!(GET_CHIPINFO_IOCTL, 0x8044_b401);
        assert_eq!(GET_LINEINFO_UNWATCH_IOCTL, 0xc004_b40c);
        assert_eq!(GET_LINEINFO_IOCTL, 0xc100_b405);
        assert_eq!(GET_LINEINFO_WATCH_IOCTL, 0xc100_b406);
        assert_eq!(GET_LINE_IOCTL, 0xc250_b407);
        assert_eq!(LINE_SET_CONFIG_IOCTL, 0xc110_b40d);
        assert_eq!(LINE_GET_VALUES_IOCTL, 0xc010_b40e);
        assert_eq!(LINE_SET_VALUES_IOCTL, 0xc010_b40f);
    }

    #[test]
    fn debounce_attribute_sits_in_the_low_word() {
        let a = LineAttribute::debounce(1234);
        assert_eq!(a.get_debounce_us(), Some(1234));
        assert_eq!(a.get_flags(), None);
        // The kernel reads a u32 at byte 8 of the attribute.
        // SAFETY-free check through the Pod byte view.
        let bytes: [u8; 16] = to_bytes(&a);
        assert_eq!(&bytes[8..12], &1234u32.to_ne_bytes());
        assert_eq!(&bytes[12..16], &[0; 4]);
        assert_eq!(&bytes[0..4], &ATTR_ID_DEBOUNCE.to_ne_bytes());
    }

    fn to_bytes(a: &LineAttribute) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..4].copy_from_slice(&a.id.to_ne_bytes());
        out[4..8].copy_from_slice(&a.padding.to_ne_bytes());
        let raw = a.raw_value();
        out[8..16].copy_from_slice(&raw.to_ne_bytes());
        out
    }
}
