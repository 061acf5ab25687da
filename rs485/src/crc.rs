//! The checks the framers validate: CRC-16/MODBUS, the BACnet MS/TP header CRC-8 and data
//! CRC-16, and the HDLC/PPP FCS-16.

/// CRC-16/MODBUS: reflected polynomial 0xA001, init 0xFFFF, no final XOR; sent low byte
/// first. `crc16_modbus(b"123456789") == 0x4B37`.
pub fn crc16_modbus(data: &[u8]) -> u16 {
    crc16_modbus_update(0xFFFF, data)
}

/// Continues a CRC-16/MODBUS from `crc` over `data`.
pub fn crc16_modbus_update(mut crc: u16, data: &[u8]) -> u16 {
    for &b in data {
        crc = (crc >> 8) ^ MODBUS_TABLE[((crc ^ b as u16) & 0xFF) as usize];
    }
    crc
}

/// True when the last two bytes of `frame` are the CRC-16/MODBUS of the rest (low byte
/// first). Frames shorter than 3 bytes never pass.
pub fn modbus_frame_ok(frame: &[u8]) -> bool {
    frame.len() >= 3 && crc16_modbus(frame) == 0
}

/// Appends the CRC-16/MODBUS of `pdu` (low byte first) and returns the frame.
pub fn modbus_frame(pdu: &[u8]) -> Vec<u8> {
    let crc = crc16_modbus(pdu);
    let mut v = Vec::with_capacity(pdu.len() + 2);
    v.extend_from_slice(pdu);
    v.extend_from_slice(&crc.to_le_bytes());
    v
}

const MODBUS_TABLE: [u16; 256] = table16(0xA001);

const fn table16(poly: u16) -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const X25_TABLE: [u16; 256] = table16(0x8408);

/// CRC-16/X-25 (reflected 0x8408, init 0xFFFF, final XOR 0xFFFF): the BACnet MS/TP data
/// CRC and the HDLC/PPP FCS-16. `crc16_x25(b"123456789") == 0x906E`.
pub fn crc16_x25(data: &[u8]) -> u16 {
    !x25_raw(data)
}

fn x25_raw(data: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &b in data {
        crc = (crc >> 8) ^ X25_TABLE[((crc ^ b as u16) & 0xFF) as usize];
    }
    crc
}

/// True when `data` ends with its own CRC-16/X-25 (low byte first): the running register
/// over data and CRC is the residue 0xF0B8.
pub fn x25_ok(data: &[u8]) -> bool {
    data.len() >= 2 && x25_raw(data) == 0xF0B8
}

/// The BACnet MS/TP header CRC-8 (x^8 + x^7 + 1, reflected, init 0xFF, sent inverted),
/// over frame type, destination, source and the two length bytes.
pub fn mstp_header_crc(header: &[u8]) -> u8 {
    !mstp_header_raw(header)
}

fn mstp_header_raw(data: &[u8]) -> u8 {
    let mut crc: u16 = 0xFF;
    for &b in data {
        let mut c = (crc ^ b as u16) & 0xFF;
        c = c ^ (c << 1) ^ (c << 2) ^ (c << 3) ^ (c << 4) ^ (c << 5) ^ (c << 6) ^ (c << 7);
        crc = (c & 0xFE) ^ ((c >> 8) & 1);
    }
    crc as u8
}

/// True when the 6 bytes (type, dest, src, len hi, len lo, header CRC) check: the running
/// CRC-8 over them is the residue 0x55.
pub fn mstp_header_ok(header_with_crc: &[u8]) -> bool {
    mstp_header_raw(header_with_crc) == 0x55
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        assert_eq!(crc16_modbus(b"123456789"), 0x4B37);
        assert_eq!(crc16_x25(b"123456789"), 0x906E);
        // Modbus spec example: 01 03 00 00 00 0A -> CRC C5 CD (low byte first).
        assert_eq!(
            modbus_frame(&[1, 3, 0, 0, 0, 0x0A]),
            [1, 3, 0, 0, 0, 0x0A, 0xC5, 0xCD]
        );
        assert!(modbus_frame_ok(&[1, 3, 0, 0, 0, 0x0A, 0xC5, 0xCD]));
        assert!(!modbus_frame_ok(&[1, 3, 0, 0, 0, 0x0A, 0xC5, 0xCE]));
    }

    #[test]
    fn mstp_header_crc_examples() {
        // bacnet-stack's mstpcrc tool: `mstpcrc 06 ff 01 00 15` -> 0x8E.
        assert_eq!(mstp_header_crc(&[0x06, 0xFF, 0x01, 0x00, 0x15]), 0x8E);
        assert!(mstp_header_ok(&[0x06, 0xFF, 0x01, 0x00, 0x15, 0x8E]));
        assert!(!mstp_header_ok(&[0x06, 0xFF, 0x01, 0x00, 0x15, 0x8F]));
        let mut d = b"hello".to_vec();
        d.extend_from_slice(&crc16_x25(b"hello").to_le_bytes());
        assert!(x25_ok(&d));
    }
}
