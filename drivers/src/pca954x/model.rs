//! Behavioural model of the PCA9546A / PCA9548A, written from the PCA9548A datasheet
//! (NXP rev. 5) without the driver's definitions: the control register (bit n enables
//! channel n, several at once allowed; 00h at power-up and after a reset), written by a
//! plain write whose **last** byte counts ("if multiple bytes are received ... it will save
//! the last byte received"), applied only at the STOP ("the channel will become active
//! after a STOP condition"), read back by a plain read. Devices behind the channels answer
//! on the parent bus while their channel is enabled; if several enabled channels hold a
//! device at the same address, all of them see the transfer and read data is the
//! wired-AND of their outputs, as on the open-drain bus.
//!
//! ```
//! use udrv_drivers::lm75::{model::Lm75Model, Lm75};
//! use udrv_drivers::pca954x::{model::Pca954xModel, Pca954x, Variant};
//! use udrv_drivers::sim::SimI2cBus;
//! use udrv_drivers::Temperature;
//!
//! let bus = SimI2cBus::new();
//! let mux = Pca954xModel::attach(&bus, 0x70, 8);
//! let t = mux.attach(3, 0x48, Lm75Model::lm75());
//! t.lock().set_temperature(Temperature::from_millicelsius(21_500));
//! let mut switch = Pca954x::new(bus, 0x70, Variant::Pca9548);
//! let mut lm75 = Lm75::new(switch.channel(3).unwrap(), 0x48);
//! assert_eq!(lm75.temperature().unwrap().as_millicelsius(), 21_500);
//! ```

use crate::sim::{Direction, I2cTarget, SimError, SimHandle, SimI2cBus};
use std::boxed::Box;
use std::vec::Vec;

/// A device model behind a channel, type-erased.
trait Downstream: Send {
    fn start(&self, address: u8, dir: Direction) -> Result<(), SimError>;
    fn write(&self, bytes: &[u8]) -> Result<(), SimError>;
    fn read(&self, buf: &mut [u8]) -> Result<(), SimError>;
    fn stop(&self);
}

impl<M: I2cTarget + 'static> Downstream for SimHandle<M> {
    fn start(&self, address: u8, dir: Direction) -> Result<(), SimError> {
        self.lock().start(address, dir)
    }
    fn write(&self, bytes: &[u8]) -> Result<(), SimError> {
        self.lock().write(bytes)
    }
    fn read(&self, buf: &mut [u8]) -> Result<(), SimError> {
        self.lock().read(buf)
    }
    fn stop(&self) {
        self.lock().stop()
    }
}

struct Device {
    channel: u8,
    address: u8,
    target: Box<dyn Downstream>,
}

/// The switch's state (attached with [`Pca954xModel::attach`]).
pub struct Pca954xModel {
    address: u8,
    channels: u8,
    control: u8,
    pending: Option<u8>,
    devices: Vec<Device>,
    /// Devices taking part in the current transfer (indexes into `devices`), or `None`
    /// when the switch itself is addressed.
    active: Option<Vec<usize>>,
    writes: u32,
}

impl core::fmt::Debug for Pca954xModel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pca954xModel")
            .field("address", &self.address)
            .field("control", &self.control)
            .finish()
    }
}

impl Pca954xModel {
    /// Put a switch with `channels` channels (4: PCA9546A, 8: PCA9548A) on `bus` at
    /// `address`; devices go behind it with [`Pca954xSim::attach`].
    pub fn attach(bus: &SimI2cBus, address: u8, channels: u8) -> Pca954xSim {
        let handle = bus.attach(
            address,
            Self {
                address,
                channels: channels.min(8),
                control: 0,
                pending: None,
                devices: Vec::new(),
                active: None,
                writes: 0,
            },
        );
        Pca954xSim {
            bus: bus.clone(),
            handle,
        }
    }

    /// The control register (enabled channels).
    pub fn control(&self) -> u8 {
        self.control
    }

    /// Control register writes received so far (STOPs after a write with data).
    pub fn writes(&self) -> u32 {
        self.writes
    }

    /// The RESET input pulsed low: all channels off.
    pub fn reset(&mut self) {
        self.control = 0;
        self.pending = None;
    }

    fn mask(&self) -> u8 {
        if self.channels >= 8 {
            0xFF
        } else {
            (1 << self.channels) - 1
        }
    }
}

impl I2cTarget for Pca954xModel {
    fn start(&mut self, address: u8, dir: Direction) -> Result<(), SimError> {
        if address == self.address {
            self.active = None;
            return Ok(());
        }
        let mut acked = Vec::new();
        for (i, d) in self.devices.iter().enumerate() {
            if d.address == address
                && self.control & (1 << d.channel) != 0
                && d.target.start(address, dir).is_ok()
            {
                acked.push(i);
            }
        }
        if acked.is_empty() {
            self.active = Some(acked);
            return Err(SimError::AddressNack);
        }
        self.active = Some(acked);
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        match &self.active {
            None => {
                if let Some(&last) = bytes.last() {
                    self.pending = Some(last & self.mask());
                }
                Ok(())
            }
            Some(list) => {
                // A data byte is acknowledged if any device acknowledges it.
                let mut ok = false;
                for &i in list {
                    ok |= self.devices[i].target.write(bytes).is_ok();
                }
                if ok {
                    Ok(())
                } else {
                    Err(SimError::DataNack)
                }
            }
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        match &self.active {
            None => {
                buf.fill(self.control);
                Ok(())
            }
            Some(list) => {
                buf.fill(0xFF);
                let mut tmp = std::vec![0u8; buf.len()];
                for &i in list {
                    self.devices[i].target.read(&mut tmp)?;
                    for (b, t) in buf.iter_mut().zip(&tmp) {
                        *b &= *t;
                    }
                }
                Ok(())
            }
        }
    }

    fn stop(&mut self) {
        if let Some(list) = self.active.take() {
            for i in list {
                self.devices[i].target.stop();
            }
        }
        if let Some(c) = self.pending.take() {
            self.control = c;
            self.writes += 1;
        }
    }
}

/// A switch model on a simulated bus: attach devices behind its channels.
#[derive(Debug, Clone)]
pub struct Pca954xSim {
    bus: SimI2cBus,
    handle: SimHandle<Pca954xModel>,
}

impl Pca954xSim {
    /// The switch's own handle (control register, reset).
    pub fn handle(&self) -> SimHandle<Pca954xModel> {
        self.handle.clone()
    }

    /// Put `model` at `address` behind `channel`; returns its handle.
    ///
    /// Panics if `channel` does not exist, or if `address` is taken on the parent bus by a
    /// device that is not behind this switch (that would be a real address conflict
    /// whenever the channel is enabled).
    pub fn attach<M: I2cTarget + 'static>(
        &self,
        channel: u8,
        address: u8,
        model: M,
    ) -> SimHandle<M> {
        let h = SimHandle::new(model);
        self.attach_handle(channel, address, &h);
        h
    }

    /// Put an existing model handle at `address` behind `channel` (the same model may sit
    /// behind several channels or addresses).
    pub fn attach_handle<M: I2cTarget + 'static>(
        &self,
        channel: u8,
        address: u8,
        handle: &SimHandle<M>,
    ) {
        let mut m = self.handle.lock();
        assert!(
            channel < m.channels,
            "the switch has {} channels, not channel {channel}",
            m.channels
        );
        assert!(
            address != m.address,
            "0x{address:02x} is the switch's own address"
        );
        let ours = m.devices.iter().any(|d| d.address == address);
        assert!(
            ours || !self.bus.addresses().contains(&address),
            "0x{address:02x} is already used on the parent bus"
        );
        m.devices.push(Device {
            channel,
            address,
            target: Box::new(handle.clone()),
        });
        drop(m);
        self.bus.attach_handle(address, &self.handle);
    }
}
