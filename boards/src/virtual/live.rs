//! Chip models that follow the [`Environment`]: before each transaction the wrapper sets
//! the model's physical inputs from the conditions of the moment.

use std::sync::Arc;

use udrv_drivers::sim::{Direction, I2cTarget, SimError, SimHandle, SpiTarget};

use super::env::{Conditions, Environment};

/// Sets a model's physical inputs from the conditions.
pub(crate) type Apply<M> = fn(&Conditions, &mut M);

/// A model behind its handle, updated from the environment at each START (I2C) or chip
/// select (SPI). The handle stays usable on its own: tests read and set the model through
/// it (with the environment not live, nothing overwrites what they set).
pub(crate) struct Live<M> {
    pub(crate) model: SimHandle<M>,
    pub(crate) env: Arc<Environment>,
    pub(crate) apply: Apply<M>,
}

impl<M> Live<M> {
    fn refresh(&self) {
        if self.env.is_live() {
            let c = self.env.conditions();
            (self.apply)(&c, &mut self.model.lock());
        }
    }
}

impl<M: I2cTarget + 'static> I2cTarget for Live<M> {
    fn start(&mut self, address: u8, dir: Direction) -> Result<(), SimError> {
        self.refresh();
        self.model.lock().start(address, dir)
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        self.model.lock().write(bytes)
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        self.model.lock().read(buf)
    }
    fn stop(&mut self) {
        self.model.lock().stop()
    }
}

impl<M: SpiTarget + 'static> SpiTarget for Live<M> {
    fn select(&mut self) {
        self.refresh();
        self.model.lock().select()
    }
    fn transfer(&mut self, mosi: u8) -> u8 {
        self.model.lock().transfer(mosi)
    }
    fn deselect(&mut self) {
        self.model.lock().deselect()
    }
}
