//! The topic cards: each a category of 16 words, every word with a one-word hint that the
//! bots use as their clue.

/// One topic card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    /// Category name shown to everyone.
    pub name: &'static str,
    /// The 16 words, each with a hint that does not contain the word.
    pub words: [(&'static str, &'static str); 16],
}

/// Every topic card in the game.
pub const TOPICS: &[Topic] = &[
    Topic {
        name: "Animals",
        words: [
            ("Lion", "mane"), ("Elephant", "trunk"), ("Penguin", "waddle"), ("Giraffe", "neck"),
            ("Kangaroo", "pouch"), ("Owl", "hoot"), ("Shark", "fin"), ("Snake", "slither"),
            ("Zebra", "stripes"), ("Monkey", "banana"), ("Camel", "hump"), ("Bee", "honey"),
            ("Frog", "ribbit"), ("Horse", "saddle"), ("Octopus", "tentacles"), ("Bat", "cave"),
        ],
    },
    Topic {
        name: "Food",
        words: [
            ("Pizza", "slice"), ("Sushi", "rice"), ("Burger", "bun"), ("Pancake", "syrup"),
            ("Soup", "bowl"), ("Taco", "shell"), ("Salad", "lettuce"), ("Curry", "spicy"),
            ("Popcorn", "cinema"), ("Cheese", "mouse"), ("Bread", "loaf"), ("Chocolate", "cocoa"),
            ("Egg", "yolk"), ("Pasta", "noodle"), ("Steak", "grill"), ("Ice cream", "cone"),
        ],
    },
    Topic {
        name: "Sports",
        words: [
            ("Football", "goal"), ("Tennis", "racket"), ("Golf", "hole"), ("Boxing", "gloves"),
            ("Skiing", "slope"), ("Swimming", "pool"), ("Cycling", "pedal"), ("Basketball", "hoop"),
            ("Baseball", "bat"), ("Surfing", "wave"), ("Archery", "arrow"), ("Fencing", "sword"),
            ("Rowing", "oar"), ("Judo", "belt"), ("Darts", "bullseye"), ("Bowling", "pins"),
        ],
    },
    Topic {
        name: "Jobs",
        words: [
            ("Doctor", "hospital"), ("Teacher", "classroom"), ("Pilot", "cockpit"), ("Chef", "kitchen"),
            ("Farmer", "tractor"), ("Firefighter", "hose"), ("Dentist", "teeth"), ("Plumber", "pipes"),
            ("Judge", "gavel"), ("Baker", "oven"), ("Astronaut", "rocket"), ("Librarian", "books"),
            ("Barber", "scissors"), ("Sailor", "anchor"), ("Painter", "brush"), ("Postman", "letters"),
        ],
    },
    Topic {
        name: "Transport",
        words: [
            ("Car", "wheel"), ("Train", "rails"), ("Bicycle", "chain"), ("Airplane", "wings"),
            ("Ship", "deck"), ("Bus", "stop"), ("Helicopter", "rotor"), ("Submarine", "periscope"),
            ("Taxi", "meter"), ("Tram", "cable"), ("Scooter", "kick"), ("Rocket", "launch"),
            ("Canoe", "paddle"), ("Truck", "cargo"), ("Balloon", "basket"), ("Sled", "snow"),
        ],
    },
    Topic {
        name: "Weather",
        words: [
            ("Rain", "umbrella"), ("Snow", "flakes"), ("Sun", "shine"), ("Wind", "gust"),
            ("Fog", "mist"), ("Hail", "ice"), ("Thunder", "rumble"), ("Lightning", "flash"),
            ("Rainbow", "colours"), ("Tornado", "twister"), ("Frost", "window"), ("Drought", "dry"),
            ("Cloud", "grey"), ("Heatwave", "sweat"), ("Blizzard", "whiteout"), ("Breeze", "gentle"),
        ],
    },
    Topic {
        name: "Instruments",
        words: [
            ("Piano", "keys"), ("Guitar", "strings"), ("Drums", "sticks"), ("Violin", "bow"),
            ("Trumpet", "brass"), ("Flute", "whistle"), ("Harp", "angel"), ("Saxophone", "jazz"),
            ("Cello", "deep"), ("Banjo", "country"), ("Accordion", "squeeze"), ("Bagpipes", "scotland"),
            ("Triangle", "ding"), ("Tuba", "oompah"), ("Ukulele", "hawaii"), ("Organ", "church"),
        ],
    },
    Topic {
        name: "Household",
        words: [
            ("Sofa", "cushion"), ("Kettle", "boil"), ("Mirror", "reflection"), ("Lamp", "bulb"),
            ("Fridge", "cold"), ("Bed", "pillow"), ("Clock", "hands"), ("Toaster", "crumbs"),
            ("Carpet", "rug"), ("Curtain", "drape"), ("Oven", "bake"), ("Bath", "bubbles"),
            ("Broom", "sweep"), ("Washing machine", "laundry"), ("Candle", "wick"), ("Doorbell", "ring"),
        ],
    },
    Topic {
        name: "School",
        words: [
            ("Maths", "numbers"), ("History", "past"), ("Art", "paint"), ("Music", "songs"),
            ("Science", "experiment"), ("Geography", "maps"), ("Chemistry", "atoms"), ("Physics", "gravity"),
            ("Biology", "cells"), ("Drama", "stage"), ("Sport", "whistle"), ("Languages", "grammar"),
            ("Computing", "code"), ("Spelling", "dictionary"), ("Lunch", "canteen"), ("Exams", "revision"),
        ],
    },
    Topic {
        name: "Places",
        words: [
            ("Beach", "sand"), ("Forest", "trees"), ("Desert", "dunes"), ("Mountain", "peak"),
            ("Airport", "runway"), ("Hospital", "nurse"), ("Library", "quiet"), ("Museum", "exhibit"),
            ("Zoo", "cages"), ("Castle", "moat"), ("Prison", "bars"), ("Stadium", "crowd"),
            ("Farm", "barn"), ("Island", "shipwreck"), ("Volcano", "lava"), ("Supermarket", "trolley"),
        ],
    },
    Topic {
        name: "Fantasy",
        words: [
            ("Dragon", "fire"), ("Witch", "broomstick"), ("Giant", "beanstalk"), ("Mermaid", "tail"),
            ("Unicorn", "horn"), ("Wizard", "spell"), ("Princess", "tiara"), ("Troll", "bridge"),
            ("Fairy", "wand"), ("Ogre", "swamp"), ("Genie", "lamp"), ("Knight", "armour"),
            ("Goblin", "gold"), ("Vampire", "fangs"), ("Ghost", "boo"), ("Pirate", "parrot"),
        ],
    },
    Topic {
        name: "Clothes",
        words: [
            ("Hat", "head"), ("Scarf", "neck"), ("Gloves", "fingers"), ("Boots", "mud"),
            ("Dress", "party"), ("Jeans", "denim"), ("Tie", "knot"), ("Socks", "feet"),
            ("Jacket", "zip"), ("Pyjamas", "sleep"), ("Swimsuit", "beach"), ("Sandals", "summer"),
            ("Uniform", "school"), ("Apron", "cooking"), ("Raincoat", "puddle"), ("Crown", "king"),
        ],
    },
];

/// Neutral clues anyone could give about anything: the legal-action sample for seats that
/// must not (or cannot) use the secret word's hint.
pub const GENERIC_CLUES: [&str; 8] = ["big", "common", "old", "fun", "useful", "loud", "famous", "everyday"];
