//! `#[derive(Row)]`: implements `rapport_store::Row` for a struct with named fields. Each field is
//! read from the column of the same name (its type must be a `rapport_store::Scalar`), except:
//!
//! - `#[row(skip)]`: not a column; the field starts as `Default::default()` (filled in later).
//! - `#[row(flatten)]`: a `Row` itself, decoded from the same row (its fields are columns here).
//! - `#[row(try_from = "i64")]`: the column decodes as the type named, then converts with
//!   `TryFrom` (an id newtype, an enum stored as its name); a failed conversion is an error
//!   naming the column.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields};

#[proc_macro_derive(Row, attributes(row))]
pub fn derive_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

enum Field {
    Column,
    Skip,
    Flatten,
    TryFrom(Box<syn::Type>),
}

fn kind(field: &syn::Field) -> syn::Result<Field> {
    let mut kind = Field::Column;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("row")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                kind = Field::Skip;
                Ok(())
            } else if meta.path.is_ident("flatten") {
                kind = Field::Flatten;
                Ok(())
            } else if meta.path.is_ident("try_from") {
                let source: syn::LitStr = meta.value()?.parse()?;
                kind = Field::TryFrom(Box::new(source.parse()?));
                Ok(())
            } else {
                Err(meta.error("expected `skip`, `flatten` or `try_from = \"Type\"`"))
            }
        })?;
    }
    Ok(kind)
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "#[derive(Row)] needs a struct"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(input, "#[derive(Row)] needs named fields"));
    };
    let mut inits = Vec::new();
    for field in &fields.named {
        let name = field.ident.as_ref().expect("a named field");
        let ty = &field.ty;
        let column = name.to_string();
        let column = column.strip_prefix("r#").unwrap_or(&column);
        inits.push(match kind(field)? {
            Field::Column => quote! { #name: row.get::<#ty>(#column)? },
            Field::Skip => quote! { #name: ::core::default::Default::default() },
            Field::Flatten => quote! { #name: <#ty as ::rapport_store::Row>::decode(row)? },
            Field::TryFrom(source) => quote! { #name: row.get_via::<#source, #ty>(#column)? },
        });
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::rapport_store::Row for #ident #ty_generics #where_clause {
            fn decode(row: &::rapport_store::RowRef<'_>) -> ::rapport_store::StoreResult<Self> {
                ::core::result::Result::Ok(Self { #(#inits),* })
            }
        }
    })
}
