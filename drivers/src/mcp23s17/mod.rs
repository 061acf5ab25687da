//! Microchip MCP23S17 16-bit SPI I/O expander: the MCP23017's registers and logic
//! ([`Mcp23x17`], everything in [`mcp23017`](crate::mcp23017) applies) over SPI, with
//! the hardware address pins A2..A0 that let up to eight chips share one chip select
//! once IOCON.HAEN is set.
//!
//! Each transfer is one chip-select frame: the control byte `0100 A2 A1 A0 R/W`
//! (datasheet §1.4.2, figure 1-3), the register address, then data in or out. At
//! power-on HAEN is off: every MCP23S17 ignores its pins and answers address 0, so the
//! driver starts with address 0 and switches to the chip's pins when
//! [`set_iocon`](Mcp23x17::set_iocon) sets [`Iocon::hardware_address`]. That first IOCON
//! write reaches every chip on the chip select (all answer 0): give them the same IOCON.
//!
//! ```no_run
//! # fn demo<S: embedded_hal::spi::SpiDevice>(spi: S) -> Result<(), udrv_drivers::mcp23s17::Error<S::Error>> {
//! use udrv_drivers::mcp23s17::{Iocon, Mcp23s17};
//! let mut io = Mcp23s17::new(spi, 0b101); // A2 high, A1 low, A0 high
//! io.set_iocon(Iocon { hardware_address: true, ..Iocon::default() })?;
//! io.set_directions(0xFF00)?; // port A outputs, port B inputs
//! io.write_gpio(0x00A5)?;
//! println!("port B: {:08b}", io.read_gpio()? >> 8);
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
pub mod registers;

pub use crate::mcp23017::{
    AsyncRegisters, Error, InterruptEvent, Iocon, Mcp23x17, RegisterBus, Registers,
};
use embedded_hal::spi::{ErrorType, Operation, SpiDevice};
use embedded_hal_async::spi::SpiDevice as AsyncSpiDevice;
pub use registers::Reg;
use registers::{OPCODE, READ};

/// The MCP23S17's transport: one SPI device (chip select), the chip's A2..A0 address and
/// whether HAEN is on.
#[derive(Debug)]
pub struct SpiRegisters<SPI> {
    spi: SPI,
    hw_address: u8,
    haen: bool,
}

impl<SPI> SpiRegisters<SPI> {
    /// The control byte: `0100 A2 A1 A0 R/W`, the address 0 while HAEN is off.
    pub fn control_byte(&self, read: bool) -> u8 {
        let a = if self.haen { self.hw_address } else { 0 };
        OPCODE | a << 1 | if read { READ } else { 0 }
    }
}

impl<SPI: ErrorType> RegisterBus for SpiRegisters<SPI> {
    type Error = SPI::Error;
    fn iocon_written(&mut self, iocon: u8) {
        self.haen = iocon & registers::HAEN != 0;
    }
}

dual_impl!({
    #[asynch(impl AsyncRegisters, SPI: AsyncSpiDevice)]
    impl<SPI> Registers for SpiRegisters<SPI>
    where
        SPI: SpiDevice,
    {
        fn write_regs(&mut self, reg: u8, data: &[u8]) -> Result<(), Self::Error> {
            let head = [self.control_byte(false), reg];
            io!(self
                .spi
                .transaction(&mut [Operation::Write(&head), Operation::Write(data)]))
        }
        fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error> {
            let head = [self.control_byte(true), reg];
            io!(self
                .spi
                .transaction(&mut [Operation::Write(&head), Operation::Read(buf)]))
        }
    }
});

/// An MCP23S17 (over SPI).
pub type Mcp23s17<SPI> = Mcp23x17<SpiRegisters<SPI>>;

impl<SPI> Mcp23x17<SpiRegisters<SPI>> {
    /// A driver for the chip whose A2..A0 pins read `hw_address` (0..=7; higher bits are
    /// ignored) on `spi`, assuming the power-on IOCON (bank 0, sequential, HAEN off: the
    /// chip answers address 0 until [`set_iocon`](Mcp23x17::set_iocon) sets
    /// [`Iocon::hardware_address`]) and outputs latched low.
    pub fn new(spi: SPI, hw_address: u8) -> Self {
        Self::with_registers(SpiRegisters {
            spi,
            hw_address: hw_address & 0b111,
            haen: false,
        })
    }

    /// A driver for a chip whose IOCON already has HAEN set (for example by an earlier
    /// run of the program): its pins' address is used from the first transfer.
    pub fn new_with_hardware_address(spi: SPI, hw_address: u8) -> Self {
        let mut d = Self::new(spi, hw_address);
        d.registers_mut().haen = true;
        d
    }

    /// Give the SPI device back.
    pub fn release(self) -> SPI {
        self.into_registers().spi
    }
}
