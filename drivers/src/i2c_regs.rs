//! The register read most I2C drivers do (write the register address, then read the
//! register and the ones after it in one transaction with a repeated START), written
//! once with its async twin for `call!` in `dual_impl!` bodies:
//! `call!(read_regs / read_regs_async(&mut self.i2c, address, REG))`; and the bytes that
//! write a 16-bit register.

use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// `N` bytes read from register `reg` on (the chip at) `address`.
pub(crate) fn read_regs<I: I2c, const N: usize>(
    i2c: &mut I,
    address: u8,
    reg: u8,
) -> Result<[u8; N], I::Error> {
    let mut b = [0; N];
    i2c.write_read(address, &[reg], &mut b).map(|()| b)
}

/// Async version of [`read_regs`].
pub(crate) async fn read_regs_async<I: AsyncI2c, const N: usize>(
    i2c: &mut I,
    address: u8,
    reg: u8,
) -> Result<[u8; N], I::Error> {
    let mut b = [0; N];
    i2c.write_read(address, &[reg], &mut b).await.map(|()| b)
}

/// The value of register `reg` on (the chip at) `address`.
pub(crate) fn read_u8<I: I2c>(i2c: &mut I, address: u8, reg: u8) -> Result<u8, I::Error> {
    read_regs(i2c, address, reg).map(|[b]| b)
}

/// Async version of [`read_u8`].
pub(crate) async fn read_u8_async<I: AsyncI2c>(
    i2c: &mut I,
    address: u8,
    reg: u8,
) -> Result<u8, I::Error> {
    read_regs_async(i2c, address, reg).await.map(|[b]| b)
}

/// The bytes that write the 16-bit register `reg`: its address, then `value`, most
/// significant byte first.
pub(crate) fn be16_write(reg: u8, value: u16) -> [u8; 3] {
    let [hi, lo] = value.to_be_bytes();
    [reg, hi, lo]
}

/// The 16-bit register `reg` on (the chip at) `address`, most significant byte first.
pub(crate) fn read_be16<I: I2c>(i2c: &mut I, address: u8, reg: u8) -> Result<u16, I::Error> {
    read_regs(i2c, address, reg).map(u16::from_be_bytes)
}

/// Async version of [`read_be16`].
pub(crate) async fn read_be16_async<I: AsyncI2c>(
    i2c: &mut I,
    address: u8,
    reg: u8,
) -> Result<u16, I::Error> {
    read_regs_async(i2c, address, reg)
        .await
        .map(u16::from_be_bytes)
}

/// Read register `reg` on (the chip at) `address` and write it back as `f` makes it (a
/// read-modify-write: two transactions).
pub(crate) fn modify_u8<I: I2c>(
    i2c: &mut I,
    address: u8,
    reg: u8,
    f: impl FnOnce(u8) -> u8,
) -> Result<(), I::Error> {
    let v = read_u8(i2c, address, reg)?;
    i2c.write(address, &[reg, f(v)])
}

/// Async version of [`modify_u8`].
pub(crate) async fn modify_u8_async<I: AsyncI2c>(
    i2c: &mut I,
    address: u8,
    reg: u8,
    f: impl FnOnce(u8) -> u8,
) -> Result<(), I::Error> {
    let v = read_u8_async(i2c, address, reg).await?;
    i2c.write(address, &[reg, f(v)]).await
}
