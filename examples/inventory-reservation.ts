// Inventory reservation with TypeORM: a decrement that cannot oversell, and the order's
// reservation row created or added to, both in one transaction.
//
//   npm run example:inventory
//
// Shows: atomicUpdate with a MoreThanOrEqual guard (0 rows changed = sold out),
// updateOrCreate on a two-column unique key with an F expression on the update path,
// both on the caller's transaction through manager.withRepository.
import 'reflect-metadata';
import pg from 'pg';
import { pgWithErrorListener } from '@racesafe/typeorm';
import { runExample } from './run-example';

import { Column, DataSource, Entity, MoreThanOrEqual, PrimaryGeneratedColumn } from 'typeorm';
import { F, raceSafe } from '@racesafe/typeorm';

@Entity({ name: 'products' })
export class Product {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) sku!: string; // UNIQUE
  @Column({ type: 'int' }) stock!: number; // CHECK (stock >= 0)
}

@Entity({ name: 'reservations' })
export class Reservation {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text', name: 'order_id' }) orderId!: string; // UNIQUE (order_id, sku)
  @Column({ type: 'text' }) sku!: string;
  @Column({ type: 'int' }) quantity!: number;
}

/** The tables, with the unique constraints racesafe relies on. */
export const inventorySql = `
CREATE TABLE IF NOT EXISTS products (
  id serial PRIMARY KEY,
  sku text NOT NULL CONSTRAINT products_sku_key UNIQUE,
  stock integer NOT NULL CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS reservations (
  id serial PRIMARY KEY,
  order_id text NOT NULL,
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  CONSTRAINT reservations_order_sku_key UNIQUE (order_id, sku)
)`;

// #region readme-reserve
/** Reserves `quantity` of `sku` for an order; undefined when not enough is left. */
export function reserve(
  dataSource: DataSource,
  orderId: string,
  sku: string,
  quantity: number,
): Promise<Reservation | undefined> {
  return dataSource.transaction(async (manager) => {
    const products = manager.withRepository(raceSafe(dataSource.getRepository(Product)));
    const reservations = manager.withRepository(raceSafe(dataSource.getRepository(Reservation)));
    // One guarded UPDATE: 0 rows changed means sold out; stock never goes below zero.
    const taken = await products.atomicUpdate(
      { sku, stock: MoreThanOrEqual(quantity) },
      { stock: F('stock').minus(quantity) },
    );
    if (taken === 0) return undefined;
    // Lock this order's reservation row and add to it, or create it; the lookup is UNIQUE (order_id, sku).
    const [reservation] = await reservations.updateOrCreate(
      { orderId, sku },
      { defaults: { quantity: F('quantity').plus(quantity) }, createDefaults: { quantity } },
    );
    return reservation;
  });
}
// #endregion

export async function main(url: string): Promise<void> {
  const dataSource = await new DataSource({
    type: 'postgres',
    url,
    driver: pgWithErrorListener(pg),
    entities: [Product, Reservation],
    synchronize: false,
  }).initialize();
  try {
    await dataSource.query(inventorySql);
    const products = raceSafe(dataSource.getRepository(Product));

    // Stock the shelves. updateOrCreate outside a transaction opens one of its own.
    // #region readme-restock
    const [widget] = await products.updateOrCreate({ sku: 'widget' }, { defaults: { stock: 10 } });
    // #endregion
    await products.updateOrCreate({ sku: 'gadget' }, { defaults: { stock: 5 } });

    // One order reserving twice: the second call updates its row (quantity computed in SQL).
    const firstTake = await reserve(dataSource, 'order-A', 'gadget', 2);
    const secondTake = await reserve(dataSource, 'order-A', 'gadget', 1);
    const gadget = await products.findOneByOrFail({ sku: 'gadget' });
    console.log(
      `order-A reserved gadget twice: id ${firstTake?.id} then ${secondTake?.id}, quantity ${secondTake?.quantity}; gadget stock ${gadget.stock}`,
    );

    // Twelve orders race for ten widgets, asking for 1, 2 or 3 each (24 units in all).
    const orders = Array.from({ length: 12 }, (_, i) => ({
      orderId: `order-${i + 1}`,
      quantity: 1 + (i % 3),
    }));
    const outcomes = await Promise.all(
      orders.map((order) => reserve(dataSource, order.orderId, 'widget', order.quantity)),
    );
    const served = orders.filter((_, i) => outcomes[i] !== undefined);
    const reservedUnits = served.reduce((sum, order) => sum + order.quantity, 0);
    const left = await products.findOneByOrFail({ sku: 'widget' });
    console.log(
      `${orders.length} orders asked for 24 of ${widget.stock} widgets at once: ${served.length} reserved ${reservedUnits} units, ` +
        `${orders.length - served.length} sold out; stock left ${left.stock} (${widget.stock} - ${reservedUnits} = ${widget.stock - reservedUnits})`,
    );
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) runExample('inventory', main);
