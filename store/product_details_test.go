package store_test

import (
	"reflect"
	"testing"

	"activation-console/store"
)

func TestProductDetails_ReadsWhatThePageShows(t *testing.T) {
	f := statusFixture(t)
	filter := store.DeviceFilter{Status: store.StatusExpired}
	d, err := f.st.ProductDetails(f.ctx, f.scope(), f.product.ID, filter, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	prod := f.productNow(t)
	if !reflect.DeepEqual(d.Product, prod) {
		t.Fatalf("product\n got %+v\nwant %+v", d.Product, prod)
	}
	if d.Package == nil || prod.PackageCode == nil || d.Package.Code != *prod.PackageCode {
		t.Fatalf("package %+v, product's %v", d.Package, prod.PackageCode)
	}
	if fig, err := f.st.ProductRenewal(f.ctx, f.scope(), prod); err != nil || d.Renewal != fig {
		t.Fatalf("renewal %+v, want %+v (%v)", d.Renewal, fig, err)
	}
	if keys := keysOf(d.Devices.Rows); !reflect.DeepEqual(keys, []string{"expired-1"}) {
		t.Fatalf("devices %v, want the expired one", keys)
	}
}

func TestProductDetails_NoPackageBeforeTheFirstAssignment(t *testing.T) {
	f := newFixture(t)
	fresh := f.newProduct(t, "eu-frankfurt", "PK-NEW")
	d, err := f.st.ProductDetails(f.ctx, f.scope(), fresh.ID, store.DeviceFilter{}, store.PageRequest{})
	if err != nil || d.Package != nil || len(d.Devices.Rows) != 0 {
		t.Fatalf("fresh product: package %+v, devices %v, %v", d.Package, d.Devices.Rows, err)
	}
}

func TestProductDetails_OnlyAProductOfTheScope(t *testing.T) {
	f := newFixture(t)
	shanghai := f.newProduct(t, "cn-shanghai", "PK-SH")
	_, err := f.st.ProductDetails(f.ctx, f.scope(), shanghai.ID, store.DeviceFilter{}, store.PageRequest{})
	wantCode(t, err, store.CodeUnknownProduct)
}
