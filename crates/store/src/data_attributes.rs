//! TODO: filled in by the data_attributes work.
