//! GPIO character device uAPI v1 (deprecated by the kernel, still the only one before
//! Linux 5.10), from `include/uapi/linux/gpio.h`. The chip-info and unwatch ioctls that
//! v1 shares with v2 live in [`super::gpio_v2`].

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use super::fs::{read_records, Pod};
use super::gpio_v2::{ioctl_new_fd, ioctl_ptr, MAX_NAME_SIZE};
use super::{ioc, IOC_READ, IOC_WRITE};

/// `GPIOHANDLES_MAX`.
pub(crate) const HANDLES_MAX: usize = 64;

/// `GPIOLINE_FLAG_*`: informational flags of `struct gpioline_info`.
pub(crate) mod line_flag {
    pub(crate) const KERNEL: u32 = 1 << 0;
    pub(crate) const IS_OUT: u32 = 1 << 1;
    pub(crate) const ACTIVE_LOW: u32 = 1 << 2;
    pub(crate) const OPEN_DRAIN: u32 = 1 << 3;
    pub(crate) const OPEN_SOURCE: u32 = 1 << 4;
    pub(crate) const BIAS_PULL_UP: u32 = 1 << 5;
    pub(crate) const BIAS_PULL_DOWN: u32 = 1 << 6;
    pub(crate) const BIAS_DISABLE: u32 = 1 << 7;
}

/// `GPIOHANDLE_REQUEST_*`: flags of handle requests and handle configs. The uAPI gives
/// the settings (active-low, drive, bias) the same bits as the [`line_flag`]s.
pub(crate) mod handle_flag {
    pub(crate) use super::line_flag::{
        ACTIVE_LOW, BIAS_DISABLE, BIAS_PULL_DOWN, BIAS_PULL_UP, OPEN_DRAIN, OPEN_SOURCE,
    };
    pub(crate) const INPUT: u32 = 1 << 0;
    pub(crate) const OUTPUT: u32 = 1 << 1;
}

/// Each v2 line flag (`GPIO_V2_LINE_FLAG_*`) with the v1 line-info flag and the v1
/// handle-request flag that mean the same (0: v1 has none). v2's edge and event-clock
/// flags have no v1 counterpart.
const V2_AS_V1: [(u64, u32, u32); 9] = {
    use super::gpio_v2::flag as v2;
    [
        (v2::USED, line_flag::KERNEL, 0),
        (v2::INPUT, 0, handle_flag::INPUT),
        (v2::OUTPUT, line_flag::IS_OUT, handle_flag::OUTPUT),
        (
            v2::ACTIVE_LOW,
            line_flag::ACTIVE_LOW,
            handle_flag::ACTIVE_LOW,
        ),
        (
            v2::OPEN_DRAIN,
            line_flag::OPEN_DRAIN,
            handle_flag::OPEN_DRAIN,
        ),
        (
            v2::OPEN_SOURCE,
            line_flag::OPEN_SOURCE,
            handle_flag::OPEN_SOURCE,
        ),
        (
            v2::BIAS_PULL_UP,
            line_flag::BIAS_PULL_UP,
            handle_flag::BIAS_PULL_UP,
        ),
        (
            v2::BIAS_PULL_DOWN,
            line_flag::BIAS_PULL_DOWN,
            handle_flag::BIAS_PULL_DOWN,
        ),
        (
            v2::BIAS_DISABLED,
            line_flag::BIAS_DISABLE,
            handle_flag::BIAS_DISABLE,
        ),
    ]
};

/// The v1 handle-request flags (`GPIOHANDLE_REQUEST_*`) for v2 line flags.
pub(crate) fn handle_flags_of_v2(v2_flags: u64) -> u32 {
    V2_AS_V1
        .iter()
        .filter(|&&(v2_bit, _, _)| v2_flags & v2_bit != 0)
        .fold(0, |f, &(_, _, handle_bit)| f | handle_bit)
}

/// The v2 line flags for v1 line-info flags (`GPIOLINE_FLAG_*`).
pub(crate) fn v2_of_line_flags(line_flags: u32) -> u64 {
    V2_AS_V1
        .iter()
        .filter(|&&(_, line_bit, _)| line_flags & line_bit != 0)
        .fold(0, |f, &(v2_bit, _, _)| f | v2_bit)
}

/// `GPIOEVENT_REQUEST_RISING_EDGE`.
pub(crate) const EVENT_REQUEST_RISING_EDGE: u32 = 1 << 0;
/// `GPIOEVENT_REQUEST_FALLING_EDGE`.
pub(crate) const EVENT_REQUEST_FALLING_EDGE: u32 = 1 << 1;
/// `GPIOEVENT_EVENT_RISING_EDGE`.
pub(crate) const EVENT_RISING_EDGE: u32 = 0x01;
/// `GPIOEVENT_EVENT_FALLING_EDGE`.
pub(crate) const EVENT_FALLING_EDGE: u32 = 0x02;

/// `struct gpioline_info`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineInfo {
    pub line_offset: u32,
    pub flags: u32,
    pub name: [u8; MAX_NAME_SIZE],
    pub consumer: [u8; MAX_NAME_SIZE],
}

/// `struct gpioline_info_changed`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineInfoChanged {
    pub info: LineInfo,
    pub timestamp: u64,
    pub event_type: u32,
    pub padding: [u32; 5],
}

/// `struct gpiohandle_request`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct HandleRequest {
    pub lineoffsets: [u32; HANDLES_MAX],
    pub flags: u32,
    pub default_values: [u8; HANDLES_MAX],
    pub consumer_label: [u8; MAX_NAME_SIZE],
    pub lines: u32,
    pub fd: i32,
}

/// `struct gpiohandle_config`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct HandleConfig {
    pub flags: u32,
    pub default_values: [u8; HANDLES_MAX],
    pub padding: [u32; 4],
}

/// `struct gpiohandle_data`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct HandleData {
    pub values: [u8; HANDLES_MAX],
}

/// `struct gpioevent_request`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct EventRequest {
    pub lineoffset: u32,
    pub handleflags: u32,
    pub eventflags: u32,
    pub consumer_label: [u8; MAX_NAME_SIZE],
    pub fd: i32,
}

/// `struct gpioevent_data` (16 bytes on 64-bit targets and 32-bit ARM; the kernel
/// writes `sizeof` of the caller's ABI).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EventData {
    pub timestamp: u64,
    pub id: u32,
}

// SAFETY: `#[repr(C)]` integers and integer arrays only.
unsafe impl Pod for LineInfo {}
// SAFETY: as above.
unsafe impl Pod for LineInfoChanged {}
// SAFETY: as above.
unsafe impl Pod for HandleRequest {}
// SAFETY: as above.
unsafe impl Pod for HandleConfig {}
// SAFETY: as above.
unsafe impl Pod for HandleData {}
// SAFETY: as above.
unsafe impl Pod for EventRequest {}
// SAFETY: as above (trailing padding is never read as a value).
unsafe impl Pod for EventData {}

const IOWR: u32 = IOC_READ | IOC_WRITE;
/// `GPIO_GET_LINEINFO_IOCTL`.
pub(crate) const GET_LINEINFO_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x02, std::mem::size_of::<LineInfo>());
/// `GPIO_GET_LINEHANDLE_IOCTL`.
pub(crate) const GET_LINEHANDLE_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x03, std::mem::size_of::<HandleRequest>());
/// `GPIO_GET_LINEEVENT_IOCTL`.
pub(crate) const GET_LINEEVENT_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x04, std::mem::size_of::<EventRequest>());
/// `GPIOHANDLE_GET_LINE_VALUES_IOCTL`.
pub(crate) const HANDLE_GET_LINE_VALUES_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x08, std::mem::size_of::<HandleData>());
/// `GPIOHANDLE_SET_LINE_VALUES_IOCTL`.
pub(crate) const HANDLE_SET_LINE_VALUES_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x09, std::mem::size_of::<HandleData>());
/// `GPIOHANDLE_SET_CONFIG_IOCTL`.
pub(crate) const HANDLE_SET_CONFIG_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x0A, std::mem::size_of::<HandleConfig>());
/// `GPIO_GET_LINEINFO_WATCH_IOCTL`.
pub(crate) const GET_LINEINFO_WATCH_IOCTL: libc::c_ulong =
    ioc(IOWR, 0xB4, 0x0B, std::mem::size_of::<LineInfo>());

/// `GPIO_GET_LINEINFO_IOCTL` on a chip fd.
pub(crate) fn get_lineinfo(fd: BorrowedFd<'_>, offset: u32) -> io::Result<LineInfo> {
    let mut info = LineInfo::zeroed();
    info.line_offset = offset;
    ioctl_ptr(fd, GET_LINEINFO_IOCTL, &mut info)?;
    Ok(info)
}

/// `GPIO_GET_LINEINFO_WATCH_IOCTL` on a chip fd.
pub(crate) fn watch_lineinfo(fd: BorrowedFd<'_>, offset: u32) -> io::Result<LineInfo> {
    let mut info = LineInfo::zeroed();
    info.line_offset = offset;
    ioctl_ptr(fd, GET_LINEINFO_WATCH_IOCTL, &mut info)?;
    Ok(info)
}

/// `GPIO_GET_LINEHANDLE_IOCTL` on a chip fd; returns the handle fd.
pub(crate) fn get_linehandle(fd: BorrowedFd<'_>, req: &mut HandleRequest) -> io::Result<OwnedFd> {
    ioctl_new_fd(fd, GET_LINEHANDLE_IOCTL, req, |r| &mut r.fd)
}

/// `GPIO_GET_LINEEVENT_IOCTL` on a chip fd; returns the event fd.
pub(crate) fn get_lineevent(fd: BorrowedFd<'_>, req: &mut EventRequest) -> io::Result<OwnedFd> {
    ioctl_new_fd(fd, GET_LINEEVENT_IOCTL, req, |r| &mut r.fd)
}

/// `GPIOHANDLE_GET_LINE_VALUES_IOCTL` on a handle or event fd: one byte per line.
pub(crate) fn get_values(fd: BorrowedFd<'_>) -> io::Result<[u8; HANDLES_MAX]> {
    let mut d = HandleData::zeroed();
    ioctl_ptr(fd, HANDLE_GET_LINE_VALUES_IOCTL, &mut d)?;
    Ok(d.values)
}

/// `GPIOHANDLE_SET_LINE_VALUES_IOCTL` on a handle fd: sets every line of the handle.
pub(crate) fn set_values(fd: BorrowedFd<'_>, values: &[u8; HANDLES_MAX]) -> io::Result<()> {
    let mut d = HandleData { values: *values };
    ioctl_ptr(fd, HANDLE_SET_LINE_VALUES_IOCTL, &mut d)?;
    Ok(())
}

/// `GPIOHANDLE_SET_CONFIG_IOCTL` on a handle fd.
pub(crate) fn set_config(fd: BorrowedFd<'_>, config: &HandleConfig) -> io::Result<()> {
    let mut c = *config;
    ioctl_ptr(fd, HANDLE_SET_CONFIG_IOCTL, &mut c)?;
    Ok(())
}

/// Reads edge events from an event fd.
pub(crate) fn read_events(fd: BorrowedFd<'_>, buf: &mut [EventData]) -> io::Result<usize> {
    read_records(fd, buf)
}

/// Reads v1 line info change events from a chip fd.
pub(crate) fn read_info_changed(
    fd: BorrowedFd<'_>,
    buf: &mut [LineInfoChanged],
) -> io::Result<usize> {
    read_records(fd, buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn struct_layout_matches_the_kernel() {
        // Numbers printed by a C program including <linux/gpio.h> on x86_64.
        assert_eq!(size_of::<LineInfo>(), 0x48);
        assert_eq!(size_of::<LineInfoChanged>(), 0x68);
        assert_eq!(offset_of!(LineInfoChanged, timestamp), 0x48);
        assert_eq!(offset_of!(LineInfoChanged, event_type), 0x50);
        assert_eq!(size_of::<HandleRequest>(), 0x16c);
        assert_eq!(offset_of!(HandleRequest, default_values), 0x104);
        assert_eq!(offset_of!(HandleRequest, consumer_label), 0x144);
        assert_eq!(offset_of!(HandleRequest, lines), 0x164);
        assert_eq!(offset_of!(HandleRequest, fd), 0x168);
        assert_eq!(size_of::<HandleConfig>(), 0x54);
        assert_eq!(offset_of!(HandleConfig, padding), 0x44);
        assert_eq!(size_of::<HandleData>(), 0x40);
        assert_eq!(size_of::<EventRequest>(), 0x30);
        assert_eq!(offset_of!(EventRequest, consumer_label), 0xc);
        assert_eq!(offset_of!(EventRequest, fd), 0x2c);
        #[cfg(target_pointer_width = "64")]
        assert_eq!(size_of::<EventData>(), 0x10);
    }

    #[test]
    fn handle_flags_match_the_kernel() {
        // GPIOHANDLE_REQUEST_INPUT .. _BIAS_DISABLE in <linux/gpio.h>.
        use handle_flag::*;
        let flags = [
            INPUT,
            OUTPUT,
            ACTIVE_LOW,
            OPEN_DRAIN,
            OPEN_SOURCE,
            BIAS_PULL_UP,
            BIAS_PULL_DOWN,
            BIAS_DISABLE,
        ];
        assert_eq!(flags, [1, 2, 4, 8, 16, 32, 64, 128]);
    }

    #[test]
    fn ioctl_numbers_match_the_kernel() {
        assert_eq!(GET_LINEINFO_IOCTL, 0xc048_b402);
        assert_eq!(GET_LINEHANDLE_IOCTL, 0xc16c_b403);
        assert_eq!(GET_LINEEVENT_IOCTL, 0xc030_b404);
        assert_eq!(HANDLE_GET_LINE_VALUES_IOCTL, 0xc040_b408);
        assert_eq!(HANDLE_SET_LINE_VALUES_IOCTL, 0xc040_b409);
        assert_eq!(HANDLE_SET_CONFIG_IOCTL, 0xc054_b40a);
        assert_eq!(GET_LINEINFO_WATCH_IOCTL, 0xc048_b40b);
    }
}
